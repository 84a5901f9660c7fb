import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeBatch } from '../decode/batch.js';
import { DEFAULT_LIMITS } from '../decode/unit.js';
import { Store } from '../store/duckdb.js';
import { parseLooseJson } from './fields.js';
import { mayHoldSurrogate, withoutLoneSurrogates } from './surrogates.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('withoutLoneSurrogates', () => {
  it('replaces lone halves in strings and keys with U+FFFD, and keeps pairs', () => {
    const value = JSON.parse('{"a":"x\\ud800y","b":["\\udc00",1,null,"😀"],"\\ud83d":{"c":"end\\ud83d"},"d":"\\ud83d\\ude00"}');
    expect(withoutLoneSurrogates(value)).toEqual({ a: 'x\uFFFDy', b: ['\uFFFD', 1, null, '😀'], '\uFFFD': { c: 'end\uFFFD' }, d: '😀' });
  });

  it('returns the same value when there is nothing to replace, and keeps a __proto__ key a key', () => {
    const clean = JSON.parse('{"a":["😀",{"b":"c"}],"n":1}');
    expect(withoutLoneSurrogates(clean)).toBe(clean);
    const proto = withoutLoneSurrogates(JSON.parse('{"__proto__":{"x":1},"a":"\\ud800"}')) as Record<string, unknown>;
    expect(Object.keys(proto)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
  });

  it('walks any depth without the stack: a record it would not change is not refused for its depth', () => {
    const depth = 200_000;
    const deep = JSON.parse(`${'['.repeat(depth)}"\\ud800"${']'.repeat(depth)}`);
    let v = withoutLoneSurrogates(deep);
    for (let i = 0; i < depth; i++) v = (v as unknown[])[0];
    expect(v).toBe('\uFFFD');
    const clean = JSON.parse(`${'{"a":'.repeat(depth)}"😀"${'}'.repeat(depth)}`);
    expect(withoutLoneSurrogates(clean)).toBe(clean);
  });

  it('looks further only at texts that may hold a surrogate', () => {
    expect(mayHoldSurrogate('{"a":"\\ud800"}')).toBe(true);
    expect(mayHoldSurrogate('{"a":"\\uDFFF"}')).toBe(true);
    expect(mayHoldSurrogate('{"a":"\ud800"}')).toBe(true);
    expect(mayHoldSurrogate('{"a":"it\\u0027s","b":"\\\\ud"}')).toBe(false);
    expect(mayHoldSurrogate('{"a":"plain"}')).toBe(false);
  });
});

describe('parseLooseJson', () => {
  it('gives U+FFFD for the lone surrogates of JSON nested in a string, double- or single-quoted', () => {
    expect(parseLooseJson('{"WorkspaceId":"5c2e\\ud800"}')).toEqual({ WorkspaceId: '5c2e\uFFFD' });
    expect(parseLooseJson("{'a': '\\udc00'}")).toEqual({ a: '\uFFFD' });
    expect(parseLooseJson('"\\ud83d\\ude00"')).toBe('😀');
  });
});

describe('a record holding a lone surrogate', () => {
  // Found by test/ingest-fuzz.test.ts: `"accountName":"a\ud800b"` reached `details` as JSON with
  // the lone escape, DuckDB's JSON cast refused it, and the whole batch (and replay) failed.
  const text = JSON.stringify({
    time: '2025-11-14T05:00:00Z', category: 'StorageRead', operationName: 'GetBlob',
    resourceId: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/acct',
    properties: { accountName: 'a\ud800b', objectKey: '/acct/c/b\udc00' },
  });

  // The same with `properties` delivered as a string of JSON: its escapes are read only when that string is parsed.
  const nested = JSON.stringify({ ...JSON.parse(text), time: '2025-11-14T05:00:01Z', properties: JSON.stringify(JSON.parse(text).properties) });

  it('is stored with U+FFFD in its columns, details and raw, and the batch commits', async () => {
    expect(text).toContain('\\ud800');
    expect(nested).toContain('\\\\ud800');
    const decoded = decodeBatch([{ text, source: 'file:/in/x.ndjson', where: 'line 1' }], DEFAULT_LIMITS);
    expect(decoded.rejects).toEqual([]);
    expect(decoded.events[0]!.details.account_name).toBe('a\uFFFDb');
    expect(decoded.events[0]!.target).toBe('/acct/c/b\uFFFD');
    const fromString = decodeBatch([{ text: nested, source: 'file:/in/x.ndjson', where: 'line 2' }], DEFAULT_LIMITS);
    expect(fromString.events[0]!.details.account_name).toBe('a\uFFFDb');

    const dir = mkdtempSync(join(tmpdir(), 'auditlake-surrogates-'));
    dirs.push(dir);
    const store = await Store.open(join(dir, 's.duckdb'));
    try {
      const result = await store.commitBatch({ stages: [decoded.stage!], events: decoded.events, rejects: [], checkpoints: [] });
      expect(result.inserted).toBe(1);
      const rows = (await store.query("SELECT account_name, target, raw->>'$.properties.accountName' FROM events")).rows;
      expect(rows).toEqual([['a\uFFFDb', '/acct/c/b\uFFFD', 'a\uFFFDb']]);
      // The string's own text is kept as it came (an escaped backslash is no surrogate to DuckDB).
      await store.commitBatch({ stages: [fromString.stage!], events: fromString.events, rejects: [], checkpoints: [] });
      expect((await store.query('SELECT count(*) FROM events WHERE account_name = \'a\uFFFDb\'')).rows).toEqual([[2n]]);
    } finally {
      store.close();
    }
  });
});
