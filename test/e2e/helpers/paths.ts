// Where the built CLIs live, resolved from this file so tests run from any working directory.

import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FUSION_BIN = join(REPO_ROOT, 'packages/fusion/bin/fustor-fusion.js');
export const AGENT_BIN = join(REPO_ROOT, 'packages/agent/bin/fustor-agent.js');
export const START_SCRIPT = join(REPO_ROOT, 'scripts/start.mjs');
export const CONFIG_DIR = join(REPO_ROOT, 'config');
