// The Fusion web page in headless Debian Chromium against a real Fusion fed by a real agent: key prompt, keyboard
// navigation two levels down and back, search, reports as charts, a new file appearing live; every API answer the
// page received is checked against the OpenAPI document. Screenshots go to the world dir (and to docs/img when
// FUSTOR_UPDATE_SCREENSHOTS=1).

import { chownSync, copyFileSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, skipBrowser } from '@fustor/test-helpers';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OpenApiValidator } from '../../packages/fusion/test/server/openapi-validator.js';
import { waitForOracle } from './helpers/oracle.js';
import { REPO_ROOT } from './helpers/paths.js';
import { AgentNode, FusionNode, World } from './helpers/world.js';

const DAY = 86_400_000;

/** data-path of the focused element (the listing's rows carry one); expressions run in the page. */
const focusedPath = (page: Page) => page.evaluate<string | null>("document.activeElement?.getAttribute('data-path') ?? null");

/** A small lab tree: owners, sizes from bytes to megabytes, ages from minutes to a year. */
function labTree(root: string): void {
  const files: Array<[string, number, number, number]> = [
    ['projects/alpha/run-001.csv', 1_500, 2, 33],
    ['projects/alpha/run-002.csv', 48_000, 9, 33],
    ['projects/alpha/run-003.csv', 310_000, 30, 33],
    ['projects/alpha/plots/summary.png', 2_400_000, 30, 34],
    ['projects/beta/notes.md', 900, 120, 1],
    ['projects/beta/model.bin', 7_000_000, 200, 1],
    ['raw/2024/sample-01.fastq', 3_100_000, 360, 34],
    ['raw/2024/sample-02.fastq', 2_900_000, 360, 34],
    ['raw/2025/sample-03.fastq', 5_200_000, 40, 34],
    ['README.txt', 120, 400, 0],
  ];
  for (const [rel, size, ageDays, uid] of files) {
    const abs = join(root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, Buffer.alloc(size, 7));
    chownSync(abs, uid, uid);
    const t = new Date(Date.now() - ageDays * DAY);
    utimesSync(abs, t, t);
  }
}

describe.skipIf(skipBrowser)('Fusion web page (needs /usr/bin/chromium: apt-get install -y chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  test('key once, two levels down and back by keyboard, search, charts, a new file appears live', async () => {
    const w = World.create('web-page');
    const data = w.dir('data');
    labTree(data);
    const fusion = await FusionNode.start(w);
    await AgentNode.start(w, fusion, { agentId: 'lab-node-07', pipes: [{ id: 'p1', dir: data, view: 'research' }] });
    await waitForOracle(fusion.client, 'research', data);
    const created = await fusion.client.raw<{ key: string }>('POST', '/api/v1/admin/api-keys', { name: 'page', role: 'read', views: ['research'] });
    expect(created.status).toBe(201);
    const readKey = created.body!.data!.key;
    const api = await OpenApiValidator.fetch(fusion.url);

    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    const checked = new Set<string>();
    page.on('response', async (res) => {
      const url = new URL(res.url());
      if (!url.pathname.startsWith('/api/v1/') || !(res.headers()['content-type'] ?? '').startsWith('application/json')) return;
      try {
        const body = await res.json();
        problems.push(...api.problems(res.request().method(), url.pathname, res.status(), body));
        checked.add(api.templateOf(url.pathname));
      } catch {
        // a body the page aborted (navigated away) cannot be read
      }
    });

    try {
      await page.goto(fusion.url);
      // the key is asked once; a wrong one is refused with the API's message
      await page.fill('#key-input', 'fk_wrong_key');
      await page.press('#key-input', 'Enter');
      await page.locator('#key-error', { hasText: 'unknown or revoked API key' }).waitFor();
      // Chromium logs the refused request itself as a console error: that one was the point
      problems.splice(0, problems.length, ...problems.filter((p) => !/status of 401/.test(p)));
      await page.fill('#key-input', readKey);
      await page.press('#key-input', 'Enter');
      const listing = page.locator('#listing');
      await listing.locator('tr[data-path="/projects"]').waitFor();
      await page.locator('#views-table tr[data-view="research"] [data-field="leader"]', { hasText: 'lab-node-07' }).waitFor();
      await page.locator('#views-table [data-field="snapshot"]', { hasText: 'complete' }).waitFor();
      expect(await page.evaluate<string | null>("sessionStorage.getItem('fustor.key')")).toBe(readKey);
      await page.locator('#live-status', { hasText: 'live' }).waitFor();

      // keyboard: ↓ to projects, Enter, ↓ to alpha (first row already focused), Enter
      await page.keyboard.press('ArrowDown');
      await expect(focusedPath(page)).resolves.toBe('/projects');
      await page.keyboard.press('Enter');
      await listing.locator('tr[data-path="/projects/alpha"]').waitFor();
      await expect.poll(() => focusedPath(page)).toBe('/projects/alpha');
      await page.keyboard.press('Enter');
      await listing.locator('tr[data-path="/projects/alpha/run-002.csv"]').waitFor();
      expect(await page.locator('#crumbs').textContent()).toBe('/projects/alpha');
      expect(await listing.locator('tr[data-path="/projects/alpha/run-003.csv"]').textContent()).toContain('303 KiB');
      await page.locator('#verdict', { hasText: 'finished' }).waitFor();
      await page.locator('#stats-list', { hasText: '2.6 MiB' }).waitFor();
      // sort by size, largest first
      await page.locator('#listing thead button', { hasText: 'Size' }).click();
      await expect.poll(async () => listing.locator('tbody tr.file').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')))).toEqual([
        '/projects/alpha/run-003.csv', '/projects/alpha/run-002.csv', '/projects/alpha/run-001.csv',
      ]);

      // a new file in the watched directory shows up without a reload
      writeFileSync(join(data, 'projects/alpha/run-004.csv'), 'id,value\n1,0.9\n');
      await listing.locator('tr[data-path="/projects/alpha/run-004.csv"]').waitFor({ timeout: 15_000 });
      await page.locator('#live-list li[data-path="/projects/alpha/run-004.csv"]').first().waitFor();

      // charts of this directory
      await page.locator('#chart-usage svg rect').first().waitFor();
      await page.locator('#chart-size svg rect').first().waitFor();
      await page.locator('#chart-age svg rect').first().waitFor();
      await page.locator('#top-table td', { hasText: '/projects/alpha/plots/summary.png' }).waitFor();

      // Backspace goes up, with the directory we left focused
      await listing.locator('tbody tr').first().focus();
      await page.keyboard.press('Backspace');
      await listing.locator('tr[data-path="/projects/beta"]').waitFor();
      await expect.poll(() => focusedPath(page)).toBe('/projects/alpha');
      await page.keyboard.press('Alt+ArrowUp');
      await listing.locator('tr[data-path="/raw"]').waitFor();

      // / focuses the search; results below the current directory; Esc leaves them
      await page.keyboard.press('/');
      await expect(page.evaluate<string | undefined>('document.activeElement?.id')).resolves.toBe('search');
      await page.keyboard.type('*.fastq');
      await page.keyboard.press('Enter');
      await listing.locator('tr[data-path="/raw/2025/sample-03.fastq"]').waitFor();
      expect(await listing.locator('tbody tr').count()).toBe(3);
      await page.locator('#search-note', { hasText: '3 matches for *.fastq below /' }).waitFor();
      await page.keyboard.press('Escape');
      await listing.locator('tr[data-path="/projects"]').waitFor();

      const shots = join(w.root, 'screenshots');
      mkdirSync(shots, { recursive: true });
      await page.goto(`${fusion.url}/#view=research&path=%2Fprojects%2Falpha`);
      // a fresh load (the hash alone does not reload), so the overview's figures are current too
      await page.reload();
      await listing.locator('tr[data-path="/projects/alpha/run-004.csv"]').waitFor();
      await page.locator('#chart-age svg rect').first().waitFor();
      // run-004 leaves the hot window by time alone: the page reads the verdict again at that moment
      await page.locator('#verdict', { hasText: 'finished' }).waitFor({ timeout: 15_000 });
      await page.screenshot({ path: join(shots, 'fusion-page.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.locator('#listing tbody tr').first().waitFor();
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(shots, 'fusion-page-phone.png'), fullPage: false });
      if (process.env.FUSTOR_UPDATE_SCREENSHOTS === '1') {
        mkdirSync(join(REPO_ROOT, 'docs/img'), { recursive: true });
        for (const f of ['fusion-page.png', 'fusion-page-phone.png']) copyFileSync(join(shots, f), join(REPO_ROOT, 'docs/img', f));
      }

      expect(problems).toEqual([]);
      for (const t of ['/api/v1/views', '/api/v1/views/{view}/tree', '/api/v1/views/{view}/stats', '/api/v1/views/{view}/search', '/api/v1/views/{view}/usage', '/api/v1/views/{view}/histogram', '/api/v1/views/{view}/top']) {
        expect(checked, `the page's answers from ${t} were validated`).toContain(t);
      }
    } finally {
      await context.close();
    }
  });
});
