// Shared config pieces: one message shape for every problem, "did you mean", renamed keys, null = unset, frozen results.

import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  ConfigError, deepFreeze, dropNulls, editDistance, idSchema, isValidId, nearestKey, numberField, parseConfigDocument, strictSection, textListField,
} from '../src/index.js';

const schema = strictSection({
  name: idSchema(),
  port: numberField({ int: true, min: 0, max: 65535 }).default(8100),
  mode: z.enum(['fast', 'safe']).default('safe'),
  tags: textListField().default([]),
  nested: strictSection({ level: z.enum(['debug', 'info']).default('info') }, { what: 'nested settings', renamed: { lvl: 'level' } }).prefault({}),
}, { renamed: { title: 'name' } });

const fails = (doc: unknown): ConfigError => {
  try {
    parseConfigDocument(schema, doc, '/etc/x.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('config documents', () => {
  it('applies defaults, takes YAML null as unset, and a single string as a list of one', () => {
    expect(parseConfigDocument(schema, { name: 'a', port: null, tags: 'x' }, 'f')).toEqual({ name: 'a', port: 8100, mode: 'safe', tags: ['x'], nested: { level: 'info' } });
  });

  it.each([
    [{ name: 'a', prot: 1 }, "prot: unknown key; did you mean 'port'?"],
    [{ name: 'a', zzz: 1 }, 'zzz: unknown key; known keys here: name, port, mode, tags, nested'],
    [{ title: 'a' }, "title: option 'title' was renamed; use 'name' instead"],
    [{ name: 'a', nested: { lvl: 'debug' } }, "nested.lvl: option 'lvl' was renamed; use 'level' instead"],
    [{ name: 'a', nested: 3 }, 'nested: must be a mapping (nested settings), got number 3; write it as "key: value" lines'],
    [{ name: 'a', port: 70000 }, 'port: must be <= 65535; lower it to at most 65535'],
    [{ name: 'a', port: -1 }, 'port: must be >= 0; raise it to at least 0'],
    [{ name: 'a', port: 1.5 }, 'port: must be a whole number; e.g. 2'],
    [{ name: 'a', port: '80' }, 'port: must be a number, got string "80"; write a number without quotes'],
    [{ name: 'a', mode: 'turbo' }, 'mode: unsupported value string "turbo"; use one of: fast, safe'],
    [{ name: 'a', tags: [''] }, 'tags[0]: must not be empty; give it a value'],
    [{}, "name: is required; add 'name: ...'"],
    [{ name: 'no spaces' }, "name: 'no spaces' is not a valid id; use letters, digits and . _ : @ -"],
    [[1, 2], 'must be a mapping, got a list'],
  ])('%j → %s', (doc, expected) => {
    expect(fails(doc).message).toContain(`/etc/x.yaml: ${expected}`);
  });

  it('reports an unknown key before the "required" it causes', () => {
    const e = fails({ nmae: 'a' });
    expect(e.keyPath).toBe('nmae');
    expect(e.fix).toBe("did you mean 'name'?");
  });

  it('ConfigError carries file, key path, problem and fix separately', () => {
    const e = new ConfigError('/f.yaml', 'a.b[0]', 'is wrong', 'do this');
    expect(e).toMatchObject({ file: '/f.yaml', keyPath: 'a.b[0]', problem: 'is wrong', fix: 'do this', code: 'E_CONFIG' });
    expect(e.message).toBe('/f.yaml: a.b[0]: is wrong; do this');
    expect(new ConfigError('/f.yaml', '', 'file not found').message).toBe('/f.yaml: file not found');
  });
});

describe('helpers', () => {
  it('edit distance and nearest key', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(nearestKey('file_patern', ['file_pattern', 'exclude'])).toBe('file_pattern');
    expect(nearestKey('colour', ['file_pattern', 'exclude'])).toBeUndefined();
  });

  it('the id rule', () => {
    expect(['a', 'A-1.b_c:d@e', '7'].every(isValidId)).toBe(true);
    expect(['', '-a', 'a b', 'x'.repeat(129)].some(isValidId)).toBe(false);
  });

  it('dropNulls keeps list items; deepFreeze freezes every level', () => {
    expect(dropNulls({ a: null, b: [null, { c: null, d: 1 }] })).toEqual({ b: [null, { d: 1 }] });
    const o = deepFreeze({ a: { b: [1, { c: 2 }] } });
    expect(Object.isFrozen(o.a.b[1])).toBe(true);
  });
});
