// Compact codes for a node's file metadata and provenance (consumers.md §1): small integers in typed columns, names interned.

import type { MessageSource, NodeKind } from '@fustor/protocol';

/** uid/gid column value meaning "not reported" (older agents); (uid_t)-1 is never a real owner. */
export const NO_ID = 0xffffffff;
/** mode column value meaning "not reported"; real modes are st_mode & 0o7777. */
export const NO_MODE = 0xffff;

/**
 * One byte per node: kind in the low 3 bits, last message source in the next 3.
 * 0 means "unknown" for both, so a zero-filled column (a node written before metadata existed) reads as null.
 */
const KINDS: readonly (NodeKind | null)[] = [null, 'file', 'dir', 'symlink', 'fifo', 'socket', 'device'];
const SOURCES: readonly (MessageSource | null)[] = [null, 'realtime', 'snapshot', 'audit', 'on_demand'];
const KIND_CODE = new Map<string, number>(KINDS.map((k, i) => [k ?? '', i]));
const SOURCE_CODE = new Map<string, number>(SOURCES.map((s, i) => [s ?? '', i]));

export const KIND_MASK = 7;
export const SOURCE_SHIFT = 3;

export function kindCode(kind: NodeKind | undefined): number {
  return kind === undefined ? 0 : KIND_CODE.get(kind)!;
}

export function sourceCode(source: MessageSource): number {
  return SOURCE_CODE.get(source)!;
}

export function kindOfCode(ks: number): NodeKind | null {
  return KINDS[ks & KIND_MASK] ?? null;
}

export function sourceOfCode(ks: number): MessageSource | null {
  return SOURCES[(ks >> SOURCE_SHIFT) & 7] ?? null;
}

/** Name of a bare source code (as stored per feed entry), null for 0. */
export function sourceName(code: number): MessageSource | null {
  return SOURCES[code] ?? null;
}

export function withKind(ks: number, kind: number): number {
  return (ks & ~KIND_MASK) | kind;
}

export function withSource(ks: number, source: number): number {
  return (ks & KIND_MASK) | (source << SOURCE_SHIFT);
}

/** Code of a kind name for filters ('file' → 1 …); -1 when unknown. */
export function kindCodeOf(name: string): number {
  return KIND_CODE.get(name) ?? -1;
}

/**
 * Names a view has learned: owner and group names from agents' principals maps, and the agent ids that
 * changed nodes (a node holds a small index into `agents`, so a million nodes share a handful of strings).
 */
export class Labels {
  readonly users = new Map<number, string>();
  readonly groups = new Map<number, string>();
  /** Index 0 is "unknown"; ids are appended, never reordered (nodes hold indexes). */
  readonly agents: string[] = [''];
  readonly #agentIndex = new Map<string, number>();
  /** Agent ids added since the last commit (the store persists them). */
  newAgents: number[] = [];

  agentIndex(agentId: string): number {
    let i = this.#agentIndex.get(agentId);
    if (i === undefined) {
      i = this.agents.length;
      this.agents.push(agentId);
      this.#agentIndex.set(agentId, i);
      this.newAgents.push(i);
    }
    return i;
  }

  /** Restores a persisted agent at its index (load). */
  loadAgent(index: number, agentId: string): void {
    while (this.agents.length <= index) this.agents.push('');
    this.agents[index] = agentId;
    this.#agentIndex.set(agentId, index);
  }

  agentOf(index: number): string | null {
    return index === 0 ? null : (this.agents[index] || null);
  }

  userName(uid: number): string | null {
    return uid === NO_ID ? null : (this.users.get(uid) ?? null);
  }

  groupName(gid: number): string | null {
    return gid === NO_ID ? null : (this.groups.get(gid) ?? null);
  }

  /** uids whose name is `name` (several ids may share a name across NFS domains). */
  uidsNamed(name: string): number[] {
    const out: number[] = [];
    for (const [id, n] of this.users) if (n === name) out.push(id);
    return out;
  }

  gidsNamed(name: string): number[] {
    const out: number[] = [];
    for (const [id, n] of this.groups) if (n === name) out.push(id);
    return out;
  }
}
