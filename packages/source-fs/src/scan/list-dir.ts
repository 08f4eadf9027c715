// One directory listing with the EMFILE/ENFILE pause-and-retry; never rejects.

import type { Dirent } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FsLayer, LocalPath } from '../fs-layer.js';
import type { IssueReporter } from '../issues.js';

export interface Listing {
  entries?: Dirent[];
  raw?: Dirent<Buffer>[];
  error?: unknown;
}

const RETRIES = 8;
const FIRST_PAUSE_MS = 20;

export async function listDir(fs: FsLayer, dir: LocalPath, issues: IssueReporter, raw = false): Promise<Listing> {
  for (let attempt = 0; ; attempt++) {
    try {
      return raw ? { raw: await fs.readdirRaw(dir) } : { entries: await fs.readdir(dir) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'EMFILE' || code === 'ENFILE') && attempt < RETRIES) {
        // Out of descriptors (ours or the process's): say so once, wait for some to close, retry.
        issues.report('too_many_open_files', dir, 'out of file descriptors; pausing and retrying', code);
        await sleep(FIRST_PAUSE_MS << attempt);
        continue;
      }
      return { error: err };
    }
  }
}
