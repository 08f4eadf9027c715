// agent-config.yaml validation: the README shape loads; every broken file names file, key path and fix.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, pipeSpecs, resolveHome } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { tempTree, type TempTree } from '@fustor/test-helpers';

let tmp: TempTree;
let data: string;
beforeAll(() => {
  tmp = tempTree({ 'data/': null, 'a-file': 'x' });
  data = join(tmp.dir, 'data');
});
afterAll(() => tmp.cleanup());

/** The original README's three blocks verbatim (comments, quoted strings, trailing spaces), with uri pointed at a real directory. */
const readme = () => `
sources:
  - id: "my-local-files"       # 唯一 ID
    type: "fs"                 # 驱动类型
    config:
      uri: "${data}"    # 监控的绝对路径
      driver_params:
        # 可选：文件过滤模式
        file_pattern: "*"      
senders:
  - id: "to-fusion"            # 唯一 ID
    type: "fusion"             # 驱动类型
    config:
      # Fusion 服务的 Ingest API 基准地址
      endpoint: "http://localhost:8102"
      # 从 Fusion 管理员处获取的 API Key，用于鉴权
      credential: "YOUR_API_KEY_HERE"
pipes:
  - id: "phase-files-to-fusion"
    source_id: "my-local-files"
    sender_id: "to-fusion"
    enabled: true              # 设置为 true 以自动启动
`;

const parse = (text: string) => parseConfig(text, { file: '/home/x/agent-config.yaml', home: '/home/x' });

function fails(text: string): ConfigError {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('agent-config.yaml', () => {
  it("accepts the README's shape with quoted strings and fills defaults", () => {
    const c = parse(readme());
    expect(c.sources[0]!.config.uri).toBe(data);
    expect(c.sources[0]!.config.driver_params).toEqual({ file_pattern: '*', exclude: [], write_settle_ms: 1000, max_watched_dirs: 200000, realtime: true });
    expect(c.senders[0]!.config).toMatchObject({ endpoint: 'http://localhost:8102', credential: 'YOUR_API_KEY_HERE', view: null, batch_max_events: 1000 });
    expect(c.pipes[0]).toMatchObject({ enabled: true, audit_interval_sec: 600, sentinel_interval_sec: 120, session_timeout_sec: 30, spool_max_mb: 512 });
    expect(c.console).toEqual({ enabled: true, host: '127.0.0.1', port: 8100 });
    expect(c.agent_id.length).toBeGreaterThan(0);
    expect(Object.isFrozen(c) && Object.isFrozen(c.pipes[0])).toBe(true);
    expect([...pipeSpecs(c).keys()]).toEqual(['phase-files-to-fusion']);
  });

  it("accepts product.md's full example (flow mappings, exclude list, view, intervals, spool bound)", () => {
    const c = parse(`
agent_id: lab-node-07
console: { host: 127.0.0.1, port: 0 }
spool: { max_mb: 64 }
sources:
  - id: my-local-files
    type: fs
    config:
      uri: ${data}
      driver_params:
        file_pattern: "*"
        exclude: ["**/.snapshot/**", "**/*.tmp"]
        write_settle_ms: 1000
        max_watched_dirs: 200000
        realtime: false
senders:
  - id: to-fusion
    type: fusion
    config: { endpoint: "http://localhost:8102/", credential: K, view: research }
pipes:
  - { id: p1, source_id: my-local-files, sender_id: to-fusion, audit_interval_sec: 600, sentinel_interval_sec: 120, session_timeout_sec: 30 }
  - { id: p2, source_id: my-local-files, sender_id: to-fusion, enabled: false, spool_max_mb: 8 }
`);
    expect(c.agent_id).toBe('lab-node-07');
    expect(c.console.port).toBe(0);
    expect(c.senders[0]!.config.endpoint).toBe('http://localhost:8102');
    expect(c.pipes.map((p) => p.spool_max_mb)).toEqual([64, 8]);
    expect([...pipeSpecs(c).keys()]).toEqual(['p1']);
  });

  const broken: Array<[string, (t: string) => string, string, RegExp]> = [
    ['unknown key with a suggestion', (t) => t.replace('file_pattern:', 'file_patern:'), 'sources[0].config.driver_params.file_patern', /did you mean 'file_pattern'/],
    ['unknown top-level key', (t) => `nonsense: 1\n${t}`, 'nonsense', /known keys here/],
    ['renamed option names its replacement', (t) => t.replace('credential:', 'api_key:'), 'senders[0].config.api_key', /use 'credential' instead/],
    ['renamed pipe option', (t) => t.replace('source_id:', 'source:'), 'pipes[0].source', /use 'source_id' instead/],
    ['missing source reference', (t) => t.replace('source_id: "my-local-files"', 'source_id: "nope"'), "pipes[0] (id 'phase-files-to-fusion').source_id", /no source 'nope'; defined sources: my-local-files$/],
    ['missing sender reference', (t) => t.replace('sender_id: "to-fusion"', 'sender_id: "x"'), "pipes[0] (id 'phase-files-to-fusion').sender_id", /no sender 'x'; defined senders: to-fusion$/],
    ['the old log key names its replacement', (t) => `log: { level: debug }\n${t}`, 'log', /option 'log' was renamed; use 'logging' instead/],
    ['unknown logging level', (t) => `logging: { level: loud }\n${t}`, 'logging.level', /unsupported value string "loud"; use one of: debug, info, warn, error/],
    ['renamed driver option', (t) => t.replace('file_pattern:', 'file_patterns:'), 'sources[0].config.driver_params.file_patterns', /use 'file_pattern' instead/],
    ['whole number expected', (t) => t.replace('enabled: true', 'enabled: true\n    session_timeout_sec: 2.5'), 'pipes[0].session_timeout_sec', /whole number; e\.g\. 3/],
    ['section that is not a mapping', (t) => `console: 8100\n${t}`, 'console', /must be a mapping \(console settings\), got number 8100; write it as "key: value" lines/],
    ['relative uri', (t) => t.replace(`uri: "${data}"`, 'uri: "data/research"'), 'sources[0].config.uri', /relative path.*absolute/],
    ['non-existent directory', (t) => t.replace(`uri: "${data}"`, `uri: "${data}/missing"`), 'sources[0].config.uri', /does not exist/],
    ['uri is a file', (t) => t.replace(`uri: "${data}"`, `uri: "${join(data, '..', 'a-file')}"`), 'sources[0].config.uri', /not a directory/],
    ['duplicate pipe ids', (t) => t + `  - id: "phase-files-to-fusion"\n    source_id: "my-local-files"\n    sender_id: "to-fusion"\n`, 'pipes[1].id', /duplicate id.*pipes\[0\]/],
    ['unsupported source type', (t) => t.replace('type: "fs"', 'type: "s3"'), 'sources[0].type', /use one of: fs/],
    ['bad endpoint', (t) => t.replace('http://localhost:8102', 'localhost:8102'), 'senders[0].config.endpoint', /http\(s\) URL/],
    ['missing credential', (t) => t.replace(/ *credential: .*\n/, ''), 'senders[0].config.credential', /is required/],
    ['wrong type', (t) => t.replace('enabled: true', 'enabled: "yes"'), 'pipes[0].enabled', /true or false/],
    ['negative interval', (t) => t.replace('enabled: true', 'enabled: true\n    audit_interval_sec: -1'), 'pipes[0].audit_interval_sec', /must be >= 0/],
    ['bad id', (t) => t.replace('id: "to-fusion"', 'id: "to fusion"'), 'senders[0].id', /not a valid id/],
    ['sources not a list', () => 'sources: {a: 1}\n', 'sources', /must be a list/],
    ['console port out of range', (t) => `console: { port: 70000 }\n${t}`, 'console.port', /<= 65535/],
  ];
  it.each(broken)('rejects %s', (_name, edit, keyPath, fix) => {
    const err = fails(edit(readme()));
    expect(err.file).toBe('/home/x/agent-config.yaml');
    expect(err.keyPath).toBe(keyPath);
    expect(err.message).toContain('/home/x/agent-config.yaml');
    expect(err.message).toMatch(fix);
  });

  it('names file, key path, problem and fix in one line: "file: key.path: problem; fix"', () => {
    const err = fails(readme().replace('file_pattern:', 'file_patern:'));
    expect(err.message).toBe("/home/x/agent-config.yaml: sources[0].config.driver_params.file_patern: unknown key; did you mean 'file_pattern'?");
    expect(fails(readme().replace('source_id: "my-local-files"', 'source_id: "x"')).message).toBe(
      "/home/x/agent-config.yaml: pipes[0] (id 'phase-files-to-fusion').source_id: no source 'x'; defined sources: my-local-files",
    );
  });

  it('an empty value means the default; logging has the same shape as Fusion; a single exclude is a list of one', () => {
    const c = parse(`agent_id:\nconsole:\nlogging: { level: debug }\n${readme().replace('file_pattern: "*"', 'file_pattern:\n        exclude: "**/*.tmp"').replace('enabled: true', 'enabled: true\n    audit_interval_sec:')}`);
    expect(c.console).toEqual({ enabled: true, host: '127.0.0.1', port: 8100 });
    expect(c.logging).toEqual({ level: 'debug', max_file_mb: 10, max_files: 5 });
    expect(c.sources[0]!.config.driver_params).toMatchObject({ file_pattern: '*', exclude: ['**/*.tmp'] });
    expect(c.pipes[0]!.audit_interval_sec).toBe(600);
    expect(Object.isFrozen(c.logging) && Object.isFrozen(c.sources[0]!.config.driver_params.exclude)).toBe(true);
  });

  it('driver_params.watcher selects the realtime backend (native | chokidar), absent = the platform default', () => {
    const c = parse(readme().replace('file_pattern: "*"', 'file_pattern: "*"\n        watcher: chokidar'));
    expect(c.sources[0]!.config.driver_params.watcher).toBe('chokidar');
    expect(parse(readme()).sources[0]!.config.driver_params.watcher).toBeUndefined();
    expect(fails(readme().replace('file_pattern: "*"', 'file_pattern: "*"\n        watcher: polling')).message).toMatch(
      /sources\[0\]\.config\.driver_params\.watcher: .*native.*chokidar/,
    );
  });

  it('endpoint may list every node of a Fusion cluster; each must be an http(s) URL', () => {
    const c = parse(readme().replace('endpoint: "http://localhost:8102"', 'endpoint: ["http://fusion-a:8102", "http://fusion-b:8102/"]'));
    expect(c.senders[0]!.config.endpoint).toEqual(['http://fusion-a:8102', 'http://fusion-b:8102']);
    expect(fails(readme().replace('endpoint: "http://localhost:8102"', 'endpoint: ["http://fusion-a:8102", "fusion-b"]')).message).toMatch(/senders\[0\]\.config\.endpoint/);
  });

  it('ids may be written as YAML numbers; a file:// uri is a path', () => {
    const c = parse(readme().replace('id: "to-fusion"', 'id: 7').replace('sender_id: "to-fusion"', 'sender_id: 7').replace(`uri: "${data}"`, `uri: "file://${data}"`));
    expect(c.senders[0]!.id).toBe('7');
    expect(c.sources[0]!.config.uri).toBe(data);
  });

  it('reports YAML syntax errors with the line', () => {
    const err = fails('sources:\n  - id: "a\n    type: fs\n');
    expect(err.message).toMatch(/YAML syntax error/);
    expect(err.keyPath).toMatch(/^line \d+/);
  });

  it('finds the file through --home, FUSTOR_HOME, --config', () => {
    writeFileSync(join(tmp.dir, 'agent-config.yaml'), readme());
    expect(loadConfig({ home: tmp.dir }).pipes).toHaveLength(1);
    expect(loadConfig({ env: { FUSTOR_HOME: tmp.dir } }).home).toBe(tmp.dir);
    expect(resolveHome({ env: {} })).toMatch(/\.fustor$/);
    expect(loadConfig({ config: join(tmp.dir, 'agent-config.yaml'), env: {} }).file).toBe(join(tmp.dir, 'agent-config.yaml'));
    expect(() => loadConfig({ home: join(tmp.dir, 'nowhere') })).toThrow(/file not found/);
  });
});
