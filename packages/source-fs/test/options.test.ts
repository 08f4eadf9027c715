// Driver options: the strict zod schema's defaults and its messages (key path, what is wrong, how to fix it).

import { describe, expect, it } from 'vitest';
import { createFsSource, SourceOptionsError, type FsSourceOptions } from '@fustor/source-fs';
import { defaultWatcher, resolveOptions } from '../src/options.js';

function problem(o: unknown): string {
  try {
    createFsSource(o as FsSourceOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(SourceOptionsError);
    expect((err as SourceOptionsError).code).toBe('SOURCE_OPTIONS');
    return (err as Error).message;
  }
  return 'valid';
}

describe('driver options', () => {
  it('resolves defaults and freezes the result', () => {
    const o = resolveOptions({ root: '/data' });
    expect(o).toMatchObject({
      root: '/data', filePattern: '*', exclude: [], writeSettleMs: 1000, maxWatchedDirs: 200_000, realtime: true,
      scanConcurrency: 16, batchSize: 1000, coalesceMs: 2, driftSampleDirs: 2000, scanWorkers: 1, fsInjected: false,
      watcher: process.platform === 'linux' ? 'native' : 'chokidar',
    });
    expect(o.clock).toBe(Date.now);
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.exclude)).toBe(true);
    expect(Object.isFrozen(o.fs)).toBe(true);
    expect(() => ((o as { batchSize: number }).batchSize = 5)).toThrow(TypeError);
  });

  it("watcher: 'native' on Linux, 'chokidar' elsewhere, and either when asked", () => {
    expect(defaultWatcher('linux')).toBe('native');
    expect(defaultWatcher('darwin')).toBe('chokidar');
    expect(defaultWatcher('win32')).toBe('chokidar');
    expect(resolveOptions({ root: '/d', watcher: 'chokidar' }).watcher).toBe('chokidar');
    expect(resolveOptions({ root: '/d', watcher: 'native' }).watcher).toBe('native');
  });

  it('keeps injected hooks and fs calls as given (tests rely on their identity)', () => {
    const issue = () => undefined;
    const lstatSync = () => undefined;
    const o = resolveOptions({ root: '/d', events: { issue }, fs: { lstatSync } });
    expect(o.events?.issue).toBe(issue);
    expect(o.fs.lstatSync).toBe(lstatSync);
    expect(o.fsInjected).toBe(true);
  });

  it.each([
    [null, "driver option '(options)' must be an object with at least 'root' (got null)"],
    [{}, "driver option 'root' must be an absolute path (the pipe source uri) (got nothing)"],
    [{ root: 'data' }, "driver option 'root' must be an absolute path (the pipe source uri) (got \"data\")"],
    [{ root: '/d', filePattern: 'a/*.dat' }, "driver option 'filePattern' must be a non-empty glob on the file name, without '/' (e.g. '*.dat') (got \"a/*.dat\")"],
    [{ root: '/d', exclude: ['**/x/**', ''] }, "driver option 'exclude[1]' must be a list of non-empty globs on the view path (e.g. ['**/.snapshot/**']) (got \"\")"],
    [{ root: '/d', exclude: '**/x/**' }, "driver option 'exclude' must be a list of non-empty globs on the view path (e.g. ['**/.snapshot/**']) (got \"**/x/**\")"],
    [{ root: '/d', scanConcurrency: 0 }, "driver option 'scanConcurrency' must be an integer from 1 to 256 (got 0)"],
    [{ root: '/d', batchSize: 2.5 }, "driver option 'batchSize' must be an integer from 1 to 10000 (got 2.5)"],
    [{ root: '/d', writeSettleMs: '100' }, "driver option 'writeSettleMs' must be an integer from 0 to 3600000 (got \"100\")"],
    [{ root: '/d', realtime: 'yes' }, "driver option 'realtime' must be true or false (got \"yes\")"],
    [{ root: '/d', clock: 5 }, "driver option 'clock' must be a function returning milliseconds (e.g. Date.now) (got 5)"],
    [{ root: '/d', watcher: 'inotify' }, "driver option 'watcher' must be one of 'native', 'chokidar' (got \"inotify\")"],
    [{ root: '/d', events: { issue: 'log' } }, "driver option 'events' must be an object of functions (reporting hooks, e.g. { issue(i) {...} }) (got an object)"],
  ])('%j → %s', (o, message) => {
    expect(problem(o)).toBe(message);
  });

  it('an unknown key gets a "did you mean", also for the agent config\'s snake_case spelling', () => {
    expect(problem({ root: '/d', file_pattern: '*.dat' })).toBe("driver option 'file_pattern' is not a known option; did you mean 'filePattern'?");
    expect(problem({ root: '/d', scanworkers: 2 })).toBe("driver option 'scanworkers' is not a known option; did you mean 'scanWorkers'?");
    expect(problem({ root: '/d', write_settle_ms: 5 })).toBe("driver option 'write_settle_ms' is not a known option; did you mean 'writeSettleMs'?");
    expect(problem({ root: '/d', backend: 'x' })).toMatch(/^driver option 'backend' is not a known option; known: root, filePattern, .*watcher/);
  });

  it('names the key in SourceOptionsError.key', () => {
    try {
      createFsSource({ root: '/d', exclude: ['a', ''] });
      expect.unreachable();
    } catch (err) {
      expect((err as SourceOptionsError).key).toBe('exclude[1]');
    }
  });
});
