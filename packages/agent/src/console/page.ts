// The console page: plain HTML plus a small inline script polling /api/status every second (no build step).

export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Fustor Agent</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; background: #fafafa; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  .meta { color: #666; margin-bottom: 1rem; }
  .pipe { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .8rem 1rem; margin-bottom: 1rem; }
  .pipe h2 { font-size: 1.05rem; margin: 0 0 .5rem; }
  .state { display: inline-block; padding: 0 .5rem; border-radius: 4px; color: #fff; font-weight: 600; }
  .state.leader { background: #2e7d32; } .state.follower { background: #1565c0; }
  .state.starting { background: #777; } .state.reconnecting { background: #ef6c00; }
  .state.degraded { background: #c62828; } .state.stopped { background: #444; }
  table { border-collapse: collapse; } td { padding: .1rem .8rem .1rem 0; vertical-align: top; }
  td:first-child { color: #666; white-space: nowrap; }
  .bar { width: 220px; height: 10px; background: #eee; border-radius: 5px; display: inline-block; vertical-align: middle; }
  .bar > span { display: block; height: 100%; background: #2e7d32; border-radius: 5px; }
  .errors { color: #b71c1c; font-family: ui-monospace, monospace; font-size: 12px; margin: .3rem 0 0; padding-left: 1.2rem; }
  #conn { color: #c62828; }
</style>
</head>
<body>
<h1>Fustor Agent <span id="agent"></span></h1>
<div class="meta" id="meta">loading…</div>
<div id="conn"></div>
<div id="pipes"></div>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const ago = (ms) => ms == null ? 'never' : Math.max(0, Math.round((Date.now() - ms) / 1000)) + ' s ago';
const bytes = (n) => n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KB' : (n / 1048576).toFixed(1) + ' MB';
const dur = (ms) => { const s = Math.floor(ms / 1000); return Math.floor(s / 3600) + 'h ' + Math.floor(s % 3600 / 60) + 'm ' + (s % 60) + 's'; };
function phase(p) {
  if (!p.progress) return esc(p.phase);
  const g = p.progress;
  const extra = g.phase === 'audit' && g.dirs_skipped != null ? ', ' + g.dirs_skipped + ' dirs unchanged' : '';
  return esc(g.phase) + ' <span class="bar"><span style="width:' + g.percent + '%"></span></span> <span class="pct">' + g.percent + '%</span> (' +
    g.entries_scanned + ' entries, ' + g.dirs_scanned + ' dirs done, ' + g.dirs_pending + ' pending' + extra + ')';
}
function render(s) {
  document.getElementById('agent').textContent = '— ' + s.agent_id;
  document.getElementById('meta').textContent = 'pid ' + s.pid + ' · up ' + dur(s.uptime_ms) + ' · config ' + s.config_file +
    (s.reload.error ? ' · last reload REJECTED: ' + s.reload.error : '');
  const html = s.pipes.map((p) => {
    const sent = Object.entries(p.events_sent).map(([k, v]) => k + ' ' + v).join(' · ');
    const errs = p.recent_errors.slice(-5).reverse().map((e) => '<li>' + esc(new Date(e.at_ms).toLocaleTimeString()) + ' ' + esc(e.context) + ': ' + esc(e.message) + '</li>').join('');
    return '<div class="pipe" data-pipe="' + esc(p.id) + '"><h2>' + esc(p.id) + ' <span class="state ' + esc(p.state) + '" data-field="state">' + esc(p.state) + '</span></h2><table>' +
      '<tr><td>role</td><td data-field="role">' + esc(p.role ?? '—') + '</td></tr>' +
      '<tr><td>session</td><td data-field="session">' + esc(p.session_id ?? '—') + (p.view ? ' (view ' + esc(p.view) + ')' : '') + '</td></tr>' +
      '<tr><td>source → sender</td><td>' + esc(p.source_uri) + ' → ' + esc(p.endpoint) + '</td></tr>' +
      '<tr><td>last heartbeat</td><td data-field="heartbeat">' + ago(p.last_heartbeat_ms) + '</td></tr>' +
      '<tr><td>phase</td><td data-field="phase">' + phase(p) + '</td></tr>' +
      '<tr><td>events sent</td><td data-field="sent">' + esc(sent) + ' (' + p.batches_sent + ' batches, ' + p.events_rejected + ' rejected)</td></tr>' +
      '<tr><td>spool</td><td data-field="spool">' + p.spool.events + ' events, ' + bytes(p.spool.bytes) + ' of ' + bytes(p.spool.max_bytes) +
        (p.spool.overflows ? ' — OVERFLOWED ' + p.spool.overflows + '×' : '') +
        (p.spool.write_failures ? ' — WRITE FAILED ' + p.spool.write_failures + '×' + (p.spool.writable ? '' : ' (still failing: free disk space)') : '') +
        (p.spool.dropped_events ? ', ' + p.spool.dropped_events + ' events dropped' : '') +
        (p.resnapshot_pending ? ' — re-snapshot pending' : '') + '</td></tr>' +
      '<tr><td>realtime</td><td>' + (p.can_realtime ? 'full coverage' : 'partial / off (audit covers the rest)') + ', queue ' + p.queue_depth +
        (p.realtime_resets ? ' — re-established ' + p.realtime_resets + '× after the root was re-created' : '') + '</td></tr>' +
      '<tr><td>scans</td><td>' + p.snapshots_completed + ' snapshots, ' + p.audits_completed + ' audits, ' + p.sessions_opened + ' sessions</td></tr>' +
      '<tr><td>errors</td><td data-field="errors">' + p.errors_total + '</td></tr></table>' +
      (errs ? '<ul class="errors">' + errs + '</ul>' : '') + '</div>';
  }).join('');
  document.getElementById('pipes').innerHTML = html || '<p>No enabled pipes.</p>';
}
async function tick() {
  try {
    const r = await fetch('/api/status', { cache: 'no-store' });
    const body = await r.json();
    render(body.data);
    document.getElementById('conn').textContent = '';
  } catch (e) {
    document.getElementById('conn').textContent = 'agent not reachable: ' + e;
  }
  setTimeout(tick, 1000);
}
tick();
</script>
</body>
</html>
`;
