import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from './duckdb.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-rejects-'));
  dirs.push(dir);
  return join(dir, 'r.duckdb');
}

const reject = (line: number, raw = '{"oops"') => ({ received_at: Date.UTC(2025, 10, 14), source: 'file:/in/day.ndjson', reason: `line ${line}: not JSON`, raw });
const rejectsOf = async (store: Store) => (await store.query('SELECT source, reason, raw FROM rejects ORDER BY reason')).rows;

describe('rejects are kept once', () => {
  it('the same refused input stored again (a replay, a redelivery) is one row; other lines stay apart', async () => {
    const store = await Store.open(dbPath());
    try {
      await store.commitBatch({ stages: [], events: [], rejects: [reject(2), reject(5)], checkpoints: [] });
      await store.commitBatch({ stages: [], events: [], rejects: [reject(2), reject(5), reject(7)], checkpoints: [] });
      expect(await rejectsOf(store)).toEqual([
        ['file:/in/day.ndjson', 'line 2: not JSON', '{"oops"'],
        ['file:/in/day.ndjson', 'line 5: not JSON', '{"oops"'],
        ['file:/in/day.ndjson', 'line 7: not JSON', '{"oops"'],
      ]);
    } finally {
      store.close();
    }
  });

  it('stores a flood of rejects in one batch, each once, repeats in the batch included', async () => {
    // Found by test/ingest-fuzz.test.ts: an INSERT per reject (~2.5 ms each) made a batch of
    // bad lines the slowest thing a replay did (60 rejects: 0.4 s; 1,000: 2.7 s).
    const store = await Store.open(dbPath());
    try {
      const flood = Array.from({ length: 1200 }, (_, i) => i % 1100 + 1).map((line) => reject(line, line % 4 === 0 ? 'x\u0000\ud800' : `{"n":${line}`));
      const result = await store.commitBatch({ stages: [], events: [], rejects: flood, checkpoints: [] });
      expect(result.rejected).toBe(1200);
      expect(await store.query('SELECT count(*), count(DISTINCT reject_id), count(DISTINCT reason) FROM rejects')).toMatchObject({ rows: [[1100n, 1100n, 1100n]] });
      // Text is bound as before: a NUL kept, a lone surrogate as U+FFFD.
      expect((await store.query("SELECT raw FROM rejects WHERE reason = 'line 4: not JSON'")).rows).toEqual([['x\u0000\uFFFD']]);
      await store.commitBatch({ stages: [], events: [], rejects: flood.slice(0, 600), checkpoints: [] });
      expect((await store.query('SELECT count(*) FROM rejects')).rows).toEqual([[1100n]]);
    } finally {
      store.close();
    }
  });

  it('a database written before keeps the first of its repeated rejects, and then recognises them', async () => {
    const path = dbPath();
    const old = await Store.open(path);
    await old.execute(`DROP TABLE rejects;
      CREATE TABLE rejects (received_at TIMESTAMPTZ NOT NULL, source VARCHAR NOT NULL, reason VARCHAR NOT NULL, raw VARCHAR);
      INSERT INTO rejects VALUES
        ('2025-11-14 00:00:00+00', 'file:/in/day.ndjson', 'line 2: not JSON', '{"oops"'),
        ('2025-11-15 00:00:00+00', 'file:/in/day.ndjson', 'line 2: not JSON', '{"oops"'),
        ('2025-11-14 00:00:00+00', 'file:/in/day.ndjson', 'line 3: no time', NULL);
      DELETE FROM schema_migrations WHERE version = '009_rejects_once.sql'`);
    old.close();
    const store = await Store.open(path);
    try {
      const kept = await store.query('SELECT received_at, reason FROM rejects ORDER BY reason');
      expect(kept.rows.map((r) => [(r[0] as Date).toISOString(), r[1]])).toEqual([
        ['2025-11-14T00:00:00.000Z', 'line 2: not JSON'],
        ['2025-11-14T00:00:00.000Z', 'line 3: no time'],
      ]);
      await store.commitBatch({ stages: [], events: [], rejects: [reject(2), { ...reject(3, ''), reason: 'line 3: no time' }], checkpoints: [] });
      expect(await rejectsOf(store)).toHaveLength(2);
    } finally {
      store.close();
    }
  });
});
