import { describe, expect, it } from 'vitest';
import {
  baseName,
  isWithin,
  joinViewPath,
  normalizeViewPath,
  NOT_UNICODE_PROBLEM,
  parentOf,
  splitViewPath,
  toViewPath,
  viewPathProblem,
} from '@fustor/protocol';

describe('viewPathProblem', () => {
  it.each([
    ['/', null],
    ['/a', null],
    ['/a/b.dat', null],
    ['/a/..b', null],
    ['/a/...', null],
    ['', "must not be empty (the root is '/')"],
    ['a/b', "must start with '/'"],
    ['/a/', "must not end with '/'"],
    ['/a//b', "must not contain an empty segment ('//')"],
    ['/a/./b', "must not contain '.' or '..' segments"],
    ['/a/..', "must not contain '.' or '..' segments"],
    ['/a\0b', 'must not contain NUL'],
    // a lone surrogate answered JSON jq could not parse, became '/lone\ufffd\ufffd\ufffd' after a restart and could never be deleted
    ['/lone\ud800', NOT_UNICODE_PROBLEM],
    ['/x/\udc00y', NOT_UNICODE_PROBLEM],
    ['/pair\ud83d\ude00', null],
  ])('%j -> %j', (p, expected) => {
    expect(viewPathProblem(p)).toBe(expected);
  });

  it('rejects paths over 4096 bytes, counting UTF-8 bytes not characters', () => {
    expect(viewPathProblem('/' + 'a'.repeat(4095))).toBeNull();
    expect(viewPathProblem('/' + 'a'.repeat(4096))).toBe('must be at most 4096 bytes');
    expect(viewPathProblem('/' + 'é'.repeat(2048))).toBe('must be at most 4096 bytes');
  });

  it('rejects non-strings', () => {
    expect(viewPathProblem(42)).toBe('must be a string');
  });
});

describe('normalizeViewPath', () => {
  it('canonicalizes user input', () => {
    expect(normalizeViewPath('')).toBe('/');
    expect(normalizeViewPath('a//b/')).toBe('/a/b');
    expect(normalizeViewPath('/./a')).toBe('/a');
  });
  it('refuses ..', () => {
    expect(() => normalizeViewPath('/a/../../etc')).toThrow(/must not contain '\.\.'/);
  });
});

describe('path helpers', () => {
  it('parent, base, join, split', () => {
    expect(parentOf('/')).toBeNull();
    expect(parentOf('/a')).toBe('/');
    expect(parentOf('/a/b')).toBe('/a');
    expect(baseName('/a/b')).toBe('b');
    expect(baseName('/')).toBe('');
    expect(joinViewPath('/', 'a')).toBe('/a');
    expect(joinViewPath('/a', 'b')).toBe('/a/b');
    expect(splitViewPath('/')).toEqual([]);
    expect(splitViewPath('/a/b')).toEqual(['a', 'b']);
  });
  it('isWithin does not confuse sibling prefixes', () => {
    expect(isWithin('/ab', '/a')).toBe(false);
    expect(isWithin('/a/b', '/a')).toBe(true);
    expect(isWithin('/a', '/a')).toBe(true);
    expect(isWithin('/x', '/')).toBe(true);
  });
  it('toViewPath maps local paths under a root, whatever the mount point', () => {
    expect(toViewPath('/mnt/a', '/mnt/a')).toBe('/');
    expect(toViewPath('/mnt/a', '/mnt/a/x/y')).toBe('/x/y');
    expect(toViewPath('/srv/data/', '/srv/data/x/y')).toBe('/x/y');
    expect(toViewPath('/mnt/a', '/mnt/ab/x')).toBeNull();
    expect(toViewPath('/', '/etc')).toBe('/etc');
    expect(toViewPath('C:\\d', 'C:\\d\\x\\y', '\\')).toBe('/x/y');
  });
});
