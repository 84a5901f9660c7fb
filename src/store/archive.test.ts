/**
 * Export bookkeeping and retention on a real DuckDB file (scenario days replayed by the CLI):
 * whole days, deletion only of what an export holds, late arrivals for pruned days.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayAsync, tempDir } from '../../test/support/db.js';
import { SCENARIO_DAYS } from '../../test/support/service.js';
import { destinationFor, stagingDirFor } from '../archive/destination.js';
import { exportDays } from '../archive/job.js';
import type { ExportProgress } from './archive.js';
import { Store } from './duckdb.js';

const DAY = 86_400_000;
const tmp = tempDir('auditlake-archive-');
afterAll(() => tmp.cleanup());

/** Per date (YYYY-MM-DD), how many events a query gives. */
async function perDay(store: Store, from: string): Promise<Record<string, number>> {
  const r = await store.query(`SELECT strftime(time, '%Y-%m-%d') AS d, count(*)::INT AS n FROM ${from} GROUP BY d ORDER BY d`);
  return Object.fromEntries(r.rows.map(([d, n]) => [String(d), Number(n)]));
}

const parquet = (dir: string, file = '*') => `read_parquet('${dir}/category=*/date=*/${file}.parquet', hive_partitioning = true)`;
const files = (dir: string) => readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.parquet')).sort();

let days: string[];
let live: Record<string, number>;
const dayMs = (d: string) => Date.parse(`${d}T00:00:00Z`);

beforeAll(async () => {
  const seed = join(tmp.dir, 'seed.duckdb');
  await replayAsync(seed, SCENARIO_DAYS.slice(0, 5));
  const store = await Store.open(seed, { readOnly: true });
  live = await perDay(store, 'events');
  store.close();
  days = Object.keys(live);
  expect(days.length, 'the fixtures span several days').toBeGreaterThanOrEqual(4);
});

async function copyOfSeed(name: string): Promise<Store> {
  const seed = await Store.open(join(tmp.dir, 'seed.duckdb'));
  const path = join(tmp.dir, `${name}.duckdb`);
  await seed.copyInto(path);
  seed.close();
  return Store.open(path);
}

describe('Store.copyInto (what compact swaps in)', () => {
  it('keeps every event, grouped by category, then by week, principal and time within each', async () => {
    const store = await copyOfSeed('clustered');
    try {
      const stored = await store.query(`SELECT category, epoch_us(date_trunc('week', time)) AS week, coalesce(principal_id, lower(principal_name)) AS who, epoch_us(time) AS t, event_id
        FROM events ORDER BY rowid`);
      const cats = stored.rows.map((r) => String(r[0]));
      expect(new Set(cats).size, 'the seed has several categories').toBeGreaterThan(3);
      // Each category is one run of rows, the runs in name order.
      const runs = cats.filter((c, i) => i === 0 || c !== cats[i - 1]);
      expect(runs).toEqual([...new Set(cats)].sort());
      // Within a category: weeks ascending, then principals (NULL last), then times, then ids.
      const key = (r: unknown[]) => [r[1] as bigint, r[2] as string | null, r[3] as bigint, r[4] as string] as const;
      const before = (a: ReturnType<typeof key>, b: ReturnType<typeof key>): boolean => {
        if (a[0] !== b[0]) return a[0] < b[0];
        if (a[1] !== b[1]) return b[1] === null || (a[1] !== null && a[1] < b[1]);
        if (a[2] !== b[2]) return a[2] < b[2];
        return a[3] <= b[3];
      };
      let ordered = 0;
      for (let i = 1; i < stored.rows.length; i++) {
        if (cats[i] !== cats[i - 1]) continue;
        expect(before(key(stored.rows[i - 1]!), key(stored.rows[i]!)), `row ${i}`).toBe(true);
        ordered++;
      }
      // The seed has weeks with several principals each: the order above was tested, not vacuous.
      const mixed = await store.query(`SELECT count(*) FROM (SELECT category, date_trunc('week', time) FROM events
        GROUP BY ALL HAVING count(DISTINCT coalesce(principal_id, lower(principal_name))) > 1 AND count(DISTINCT time) > 1)`);
      expect(Number(mixed.rows[0]![0])).toBeGreaterThan(0);
      expect(ordered).toBeGreaterThan(1000);
      const seed = await Store.open(join(tmp.dir, 'seed.duckdb'), { readOnly: true });
      const all = 'SELECT count(*) AS n, sum(hash(event_id, raw, details, time)) AS fingerprint FROM events';
      expect((await store.query(all)).rows).toEqual((await seed.query(all)).rows);
      seed.close();
    } finally {
      store.close();
    }
  });
});

describe('Archive', () => {
  it('exports whole UTC days, records the export, and a rerun overwrites the same files', async () => {
    const store = await copyOfSeed('whole-days');
    const dir = join(tmp.dir, 'whole-days');
    const archive = await store.archive();
    // From the middle of the second day to the middle of the third: both whole days come out.
    const progress: ExportProgress[] = [];
    const r = await archive.exportDays(dir, dir, dayMs(days[1]!) + 13 * 3_600_000, dayMs(days[2]!) + 3_600_000, { onDay: (p) => progress.push(p) });
    expect(r).toEqual({ sinceMs: dayMs(days[1]!), untilMs: dayMs(days[2]!) + DAY, rows: live[days[1]!]! + live[days[2]!]!, alreadyExported: 0 });
    expect(progress).toEqual([
      { dayMs: dayMs(days[1]!), daysDone: 1, days: 2, rows: live[days[1]!] },
      { dayMs: dayMs(days[2]!), daysDone: 2, days: 2, rows: r.rows },
    ]);
    expect(await perDay(store, parquet(dir))).toEqual({ [days[1]!]: live[days[1]!], [days[2]!]: live[days[2]!] });
    const before = files(dir);
    await archive.exportDays(dir, dir, dayMs(days[1]!), dayMs(days[2]!) + DAY);
    expect(files(dir)).toEqual(before);
    expect(await perDay(store, parquet(dir))).toEqual({ [days[1]!]: live[days[1]!], [days[2]!]: live[days[2]!] });
    const recorded = await store.query('SELECT count(*)::INT, sum(rows)::INT FROM exports WHERE destination = $d', { d: dir });
    expect(recorded.rows[0]).toEqual([2, 2 * r.rows]);
    archive.close();
    store.close();
  });

  it('with a destination, deletes only the old events an export there holds, and counts the rest', async () => {
    const store = await copyOfSeed('retention');
    const dir = join(tmp.dir, 'retention');
    const archive = await store.archive();
    await archive.exportDays(dir, dir, dayMs(days[0]!), dayMs(days[1]!) + DAY); // the first two days only
    const horizon = dayMs(days.at(-1)!); // everything but the last day is old
    const elsewhere = await archive.applyRetention(horizon, '/somewhere/else');
    expect(elsewhere.deleted).toBe(0);
    const r = await archive.applyRetention(horizon + 5 * 3_600_000, dir); // rounds down to the day
    expect(r.horizonMs).toBe(horizon);
    expect(r.deleted).toBe(live[days[0]!]! + live[days[1]!]!);
    const old = days.slice(0, -1).reduce((n, d) => n + live[d]!, 0);
    expect(r.keptUnexported).toBe(old - r.deleted);
    const left = await perDay(store, 'events');
    expect(left[days[0]!]).toBeUndefined();
    expect(left[days[1]!]).toBeUndefined();
    expect(left[days[2]!]).toBe(live[days[2]!]);
    const runs = await store.query('SELECT deleted::INT, kept_unexported::INT FROM retention_runs ORDER BY ran_at');
    expect(runs.rows).toEqual([[0, old], [r.deleted, r.keptUnexported]]);
    // What was deleted is still in the export.
    expect((await perDay(store, parquet(dir)))[days[0]!]).toBe(live[days[0]!]);
    archive.close();
    store.close();
  });

  it('without a destination, deletes every event before the horizon', async () => {
    const store = await copyOfSeed('no-export');
    const archive = await store.archive();
    const r = await archive.applyRetention(dayMs(days[2]!), undefined);
    expect(r).toEqual({ horizonMs: dayMs(days[2]!), deleted: live[days[0]!]! + live[days[1]!]!, keptUnexported: 0 });
    expect(Object.keys(await perDay(store, 'events'))).toEqual(days.slice(2));
    archive.close();
    store.close();
  });

  it('never rewrites a pruned day: a late event goes to a late file, and retention then removes it', async () => {
    const { store, dir, archive, first, arriveLate } = await firstDayPruned('late');
    expect(await archive.firstUnexported(dir)).toBe(await firstEventTime(store, days[1]!));
    // A record of the pruned day arrives late (a slow partition, a backfill).
    await arriveLate('late-');
    expect(await archive.firstUnexported(dir)).toBe(dayMs(first) + 12 * 3_600_000);

    const r = await archive.exportDays(dir, dir, dayMs(first), dayMs(first) + DAY);
    expect(r.rows).toBe(1);
    // The day's part file still holds everything it held; the late event is beside it.
    expect((await perDay(store, parquet(dir, 'part-*')))[first]).toBe(live[first]);
    expect((await perDay(store, parquet(dir, 'late-*')))[first]).toBe(1);
    const again = await archive.applyRetention(dayMs(days[1]!), dir);
    expect(again.deleted).toBe(1);
    expect(again.keptUnexported).toBe(0);
    // Nothing left to export for that day; exporting it again writes nothing new.
    expect((await archive.exportDays(dir, dir, dayMs(first), dayMs(first) + DAY)).rows).toBe(0);
    expect((await perDay(store, parquet(dir)))[first]).toBe(live[first]! + 1);
    archive.close();
    store.close();
  });

  it('a retry after an export that failed once its late file was written overwrites that file rather than adding one beside it', async () => {
    const { store, dir, archive, first, arriveLate } = await firstDayPruned('late-retry');
    await arriveLate('late1-');
    // The files are written, then publishing them fails (an upload cut off): nothing is recorded.
    await expect(archive.exportDays(dir, dir, dayMs(first), dayMs(first) + DAY, { publish: () => { throw new Error('upload cut off'); } }))
      .rejects.toThrow(/upload cut off/);
    await new Promise((r) => setTimeout(r, 5)); // a later commit
    await arriveLate('late2-');
    expect((await archive.exportDays(dir, dir, dayMs(first), dayMs(first) + DAY)).rows).toBe(2);
    const exported = await store.query(`SELECT count(*)::INT, count(DISTINCT event_id)::INT FROM ${parquet(dir, 'late-*')}`);
    expect(exported.rows).toEqual([[2, 2]]);
    archive.close();
    store.close();
  });

  it('leaves out late rows a pruned day\'s files already hold (ingested again), exports the new ones, and a rerun writes nothing', async () => {
    const { store, dir, archive, first, arriveLate, ingestAgain } = await firstDayPruned('again');
    await ingestAgain(3);
    await arriveLate('new-'); // never exported: a backfill of older history
    expect((await perDay(store, 'events'))[first]).toBe(4);
    const r = await archive.exportDays(dir, dir, dayMs(first), dayMs(first) + DAY);
    expect(r).toMatchObject({ rows: 1, alreadyExported: 3 });
    const exported = await store.query(`SELECT count(*)::INT, count(DISTINCT event_id)::INT FROM ${parquet(dir)} WHERE date = $d`, { d: first });
    expect(exported.rows).toEqual([[live[first]! + 1, live[first]! + 1]]);
    // Held by the export: covered, so retention deletes them and nothing is pending.
    expect(await archive.firstUnexported(dir)).toBe(await firstEventTime(store, days[1]!));
    const before = files(dir);
    expect(await archive.exportDays(dir, dir, dayMs(first), dayMs(first) + DAY)).toMatchObject({ rows: 0, alreadyExported: 0 });
    expect(files(dir)).toEqual(before);
    expect((await archive.applyRetention(dayMs(days[1]!), dir)).deleted).toBe(4);
    archive.close();
    store.close();
  });

  it('reads what the folder holds from the staging folder, the one DuckDB may read once run restricts file access', async () => {
    const { store, dir, archive, first, ingestAgain } = await firstDayPruned('restricted');
    await ingestAgain(2);
    // As run does: the staging folder stays open to DuckDB, nothing else outside the store.
    store.exportDirs = [stagingDirFor(store.path)];
    const reader = await store.reader();
    await expect(store.query(`SELECT count(*) FROM ${parquet(dir)}`)).rejects.toThrow(/Permission Error|disabled/i);
    const folder = await destinationFor(dir, { credential: () => { throw new Error('a folder needs no credential'); } });
    const r = await exportDays(store, folder, dayMs(first), dayMs(first) + DAY);
    expect(r).toMatchObject({ rows: 0, alreadyExported: 2 });
    reader.close();
    archive.close();
    store.close();
  });

  it('exports the days that hold events, however far apart: an event dated 2999 costs one more file, not a COPY per day between', async () => {
    const store = await copyOfSeed('far');
    const dir = join(tmp.dir, 'far');
    await store.execute(`INSERT INTO events SELECT * REPLACE ('far-' || event_id AS event_id, TIMESTAMPTZ '2999-01-01 12:00:00+00' AS time)
      FROM events LIMIT 1`);
    const archive = await store.archive();
    const started = Date.now();
    const r = await archive.exportDays(dir, dir, dayMs(days[0]!), Date.parse('2999-01-02T00:00:00Z'));
    expect(r.rows).toBe(Object.values(live).reduce((a, b) => a + b, 0) + 1);
    expect(files(dir).filter((f) => f.includes('date=2999-01-01'))).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(60_000); // a COPY per calendar day would be ~356,000 of them
    archive.close();
    store.close();
  });

  it('a reopened store commits past every export\'s mark, even after retention deleted the newest rows and the clock went back', async () => {
    const path = join(tmp.dir, 'marks.duckdb');
    const store = await copyOfSeed('marks');
    // An export recorded as holding commits up to a day from now (the clock has since been set back).
    const ahead = Date.now() + DAY;
    await store.execute(`INSERT INTO exports SELECT 'x', TIMESTAMPTZ '2000-01-01', TIMESTAMPTZ '2001-01-01', to_timestamp(${ahead} / 1000.0), 0, now()`);
    store.close();
    const reopened = await Store.open(path);
    const { ingestedAt } = await reopened.commitBatch({ stages: [], events: [], rejects: [], checkpoints: [] });
    expect(ingestedAt).toBeGreaterThan(ahead);
    reopened.close();
  });
});

/**
 * A copy of the seed whose first day is exported to `<name>/` and then pruned, and a way for a
 * record of that day to arrive late (a copy of one of the next day's, with `idPrefix`), or to be
 * ingested again (`n` of the exported records, event_id and all, committed now: a replayed
 * file, a backfill after `checkpoints reset`, a redelivery).
 */
async function firstDayPruned(name: string) {
  const store = await copyOfSeed(name);
  const dir = join(tmp.dir, name);
  const archive = await store.archive();
  const first = days[0]!;
  await archive.exportDays(dir, dir, dayMs(first), dayMs(first) + DAY);
  await archive.applyRetention(dayMs(days[1]!), dir);
  const arriveLate = (idPrefix: string) => store.execute(`INSERT INTO events SELECT * REPLACE ($p || event_id AS event_id, now() AS ingested_at,
    $t::TIMESTAMPTZ AS time) FROM events WHERE strftime(time, '%Y-%m-%d') = $d LIMIT 1`, { p: idPrefix, d: days[1]!, t: `${first}T12:00:00Z` });
  const ingestAgain = (n: number) => store.execute(`INSERT INTO events BY NAME SELECT * EXCLUDE (date) REPLACE (now() AS ingested_at)
    FROM ${parquet(dir, 'part-*')} ORDER BY event_id LIMIT ${n}`);
  return { store, dir, archive, first, arriveLate, ingestAgain };
}

async function firstEventTime(store: Store, day: string): Promise<number> {
  const r = await store.query(`SELECT epoch_ms(min(time))::DOUBLE FROM events WHERE strftime(time, '%Y-%m-%d') >= $d`, { d: day });
  return Number(r.rows[0]![0]);
}
