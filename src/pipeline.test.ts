/**
 * The batch loop on a real DuckDB file, with the real decoder and engine: group commits,
 * positions, the detector state saved with the last batch, and nothing left behind on failure.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DecodePool } from './decode/pool.js';
import { createEngine } from './detectors/engine.js';
import { DETECTOR_STATE, runPipeline } from './pipeline.js';
import { BatchQueue } from './service/batch-queue.js';
import type { SourceBatch } from './sources/source.js';
import { stagePath } from './store/stage.js';
import { Store } from './store/duckdb.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

async function openStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-pipeline-'));
  dirs.push(dir);
  return Store.open(join(dir, 'p.duckdb'));
}

const template = JSON.parse(readFileSync('fixtures/storage/blob.ndjson', 'utf8').split('\n')[0]!) as Record<string, unknown>;

/** `count` batches of `perBatch` distinct Storage records, each batch carrying its position. */
async function* batches(count: number, perBatch: number, failAfter = Infinity): AsyncGenerator<SourceBatch> {
  for (let b = 0; b < count; b++) {
    if (b >= failAfter) throw new Error('source lost its connection');
    const units = Array.from({ length: perBatch }, (_, i) => ({
      text: JSON.stringify({ ...template, correlationId: `c-${b}-${i}`, time: new Date(Date.UTC(2025, 10, 14, 5) + (b * perBatch + i) * 1000).toISOString() }),
      source: 'test:hub',
      where: `offset ${b * perBatch + i}`,
    }));
    yield { units, rejects: [], checkpoints: [{ source: 'test:hub', partition: '0', position: String((b + 1) * perBatch) }] };
  }
}

const stageFilesOfThisProcess = () => readdirSync(dirname(stagePath('probe'))).filter((f) => f.startsWith(`auditlake-${process.pid}-`));

describe('runPipeline', () => {
  it('commits decoded batches in groups and stores every record once, with the last position', async () => {
    const store = await openStore();
    const commits: number[] = [];
    const summary = await runPipeline(batches(30, 50), store, {
      pool: new DecodePool({ maxRecordBytes: 1 << 20 }, 0),
      commitRows: 400,
      onCommit: (t) => commits.push(t.rows),
    });
    expect(summary).toMatchObject({ read: 1500, stored: 1500, duplicates: 0, rejected: 0 });
    expect(commits.reduce((a, b) => a + b, 0)).toBe(1500);
    expect(commits.length).toBeLessThan(30); // grouped, not one commit per batch
    expect(await store.checkpoints()).toEqual([{ source: 'test:hub', partition: '0', position: '1500' }]);
    const again = await runPipeline(batches(30, 50), store, { pool: new DecodePool({ maxRecordBytes: 1 << 20 }, 0) });
    expect(again).toMatchObject({ stored: 0, duplicates: 1500 });
    store.close();
  });

  it('saves the detector state with the last batch', async () => {
    const store = await openStore();
    const engine = createEngine();
    await runPipeline(batches(3, 20), store, { pool: new DecodePool({ maxRecordBytes: 1 << 20 }, 0), detection: engine, snapshotEveryMs: 3_600_000 });
    const saved = await store.loadState(DETECTOR_STATE);
    expect(saved).not.toBeNull();
    expect(JSON.parse(saved!.value).events).toBe(60);
    store.close();
  });

  it('fails with the source\'s error after committing what it had read, and leaves no stage file behind', async () => {
    const store = await openStore();
    const before = stageFilesOfThisProcess().length;
    await expect(runPipeline(batches(10, 50, 6), store, { pool: new DecodePool({ maxRecordBytes: 1 << 20 }, 0), decodeAhead: 3 }))
      .rejects.toThrow('source lost its connection');
    expect(stageFilesOfThisProcess().length).toBe(before);
    // The six batches read before the failure are stored, with their position.
    expect(await store.checkpoints()).toEqual([{ source: 'test:hub', partition: '0', position: '300' }]);
    expect(Number((await store.query('SELECT count(*) FROM events')).rows[0]![0])).toBe(300);
    store.close();
  });

  it('fails at once when a commit fails while the source is idle (a service\'s empty queue), rather than waiting for the next batch', async () => {
    const store = await openStore();
    // The real store, whose commit fails as a full disk makes DuckDB's fail.
    const failing = Object.assign(Object.create(store) as Store, {
      commitBatch: () => Promise.reject(new Error('IO Error: Could not write file "p.duckdb.wal": No space left on device')),
    });
    const queue = new BatchQueue(4);
    const { value: batch } = await batches(1, 20).next();
    await queue.push(batch as SourceBatch);
    // Nothing more is pushed and the queue is never ended: the source is idle, as a quiet hub is.
    const outcome = runPipeline(queue, failing, { pool: new DecodePool({ maxRecordBytes: 1 << 20 }, 0) }).then(() => 'ended', (err: Error) => err.message);
    const hung = new Promise((r) => setTimeout(r, 5000, 'still waiting for the source')).then(String);
    expect(await Promise.race([outcome, hung])).toMatch(/No space left on device/);
    queue.end();
    store.close();
  });
});

describe('stage files of dead processes', () => {
  it('are removed when a writer opens a store; live processes keep theirs', async () => {
    const dir = dirname(stagePath('probe'));
    const dead = join(dir, 'auditlake-999999999-1-0.stage'); // no such pid
    const live = join(dir, `auditlake-${process.ppid}-1-0.stage`);
    writeFileSync(dead, 'x');
    writeFileSync(live, 'x');
    try {
      const store = await openStore();
      store.close();
      expect(existsSync(dead)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      rmSync(live, { force: true });
      rmSync(dead, { force: true });
    }
  });
});
