/**
 * Export to Blob Storage (Azurite) and retention, through the real CLI and `auditlake run`:
 * Parquet blobs under the az:// prefix, `compact` deleting only what an export holds and
 * giving the space back, and `run` exporting and applying retention on its own.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCliAsync } from './support/cli.js';
import { startAzurite, type AzuriteInstance } from './support/azurite.js';
import { queryJsonAsync, replayAsync, tempDir } from './support/db.js';
import { startEventHubsPeer, type EventHubsPeer } from './support/eventhubs-peer.js';
import { SCENARIO_DAYS, startRun, writeConfig } from './support/service.js';

const tmp = tempDir('auditlake-archive-cli-');
const seed = join(tmp.dir, 'seed.duckdb');
let azurite: AzuriteInstance;
let total: number;

beforeAll(async () => {
  [azurite] = await Promise.all([startAzurite(), replayAsync(seed, SCENARIO_DAYS.slice(0, 4))]);
  total = await count(seed);
});
afterAll(async () => {
  await azurite?.close();
  tmp.cleanup();
});

async function count(db: string, sql = 'SELECT count(*) AS n FROM events'): Promise<number> {
  return Number((await queryJsonAsync(db, sql))[0]!.n);
}

/** Azurite's connection string with another account key: every request is refused (403), at once. */
const wrongKey = () => azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${Buffer.alloc(64, 7).toString('base64')}`);

function copySeed(name: string): string {
  const db = join(tmp.dir, `${name}.duckdb`);
  copyFileSync(seed, db);
  return db;
}

async function blobNames(prefix: string): Promise<string[]> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('audit');
  const names: string[] = [];
  for await (const b of container.listBlobsFlat({ prefix })) names.push(b.name);
  return names.sort();
}

/** The blobs under `prefix`, downloaded into `into` with their paths below the prefix: a folder `query --parquet` reads. */
async function download(prefix: string, into: string): Promise<string> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('audit');
  for (const n of await blobNames(prefix)) {
    const file = join(into, n.slice(prefix.length));
    mkdirSync(dirname(file), { recursive: true });
    await container.getBlobClient(n).downloadToFile(file);
  }
  return into;
}

/** Each blob under `prefix` with its ETag, which an upload changes even for the same bytes. */
async function blobVersions(prefix: string): Promise<string[]> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('audit');
  const versions: string[] = [];
  for await (const b of container.listBlobsFlat({ prefix })) versions.push(`${b.name} ${b.properties.etag}`);
  return versions.sort();
}

describe('auditlake export on a terminal', () => {
  it('shows its progress day by day, and keeps the line off a pipe', async () => {
    const db = copySeed('progress');
    // `script` runs the command on a pseudo-terminal, as a person at a shell would.
    const command = [process.execPath, join(repoRoot, 'bin/auditlake.js'), 'export', '--db', db, '--to', join(tmp.dir, 'on-a-tty')]
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(tty.status, tty.stderr).toBe(0);
    for (let day = 1; day < 4; day++) expect(tty.stdout).toMatch(new RegExp(`day ${day} of 4 \\(\\d{4}-\\d{2}-\\d{2}\\)  [\\d,]+ events  ETA \\d+s`));
    const out = join(tmp.dir, 'on-a-tty');
    expect(tty.stdout).toContain(`  ${total.toLocaleString('en-US')} events  publishing to ${out}\r\x1b[KExported ${total.toLocaleString('en-US')} events`);
    expect(tty.stdout).toMatch(/day 4 of 4 \(\d{4}-\d{2}-\d{2}\)  /);
    const piped = await runCliAsync(['export', '--db', db, '--to', join(tmp.dir, 'piped')]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toBe('');
  });
});

describe('auditlake export --to az://', () => {
  it('uploads the Parquet days under the prefix, and an upload that fails records nothing', async () => {
    const db = copySeed('blob');
    const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
    const r = await runCliAsync(['export', '--db', db, '--to', 'az://devstoreaccount1/audit/tenant-a/events'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Exported ${total.toLocaleString('en-US')} events`);
    const names = await blobNames('tenant-a/events/');
    expect(names.length).toBeGreaterThan(4);
    for (const n of names) expect(n).toMatch(/^tenant-a\/events\/category=[^/]+\/date=\d{4}-\d{2}-\d{2}\/part-0\.parquet$/);
    // The blobs read back as the events: download them into a folder and query it.
    const back = await download('tenant-a/events/', join(tmp.dir, 'downloaded'));
    const q = await runCliAsync(['query', '--parquet', back, 'SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events', '--format', 'json']);
    expect(JSON.parse(q.stdout)).toEqual([{ n: total, d: total }]);
    expect(await count(db, "SELECT count(*) AS n FROM exports WHERE destination = 'az://devstoreaccount1/audit/tenant-a/events'")).toBe(1);

    const refused = await runCliAsync(['export', '--db', db, '--to', 'az://devstoreaccount1/audit/other'],
      { env: { AZURE_STORAGE_CONNECTION_STRING: wrongKey() } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/upload to az:\/\/devstoreaccount1\/audit\/other failed/);
    expect(refused.stderr).not.toContain('AccountKey=');
    expect(await count(db, "SELECT count(*) AS n FROM exports WHERE destination = 'az://devstoreaccount1/audit/other'")).toBe(0);
  });

  it('after retention pruned the days, leaves out what the blobs hold when records are ingested again, uploads a record they never had, and a rerun changes nothing', async () => {
    const db = copySeed('again');
    const to = 'az://devstoreaccount1/audit/again';
    const config = writeConfig(tmp.dir, { export: { to, connectionString: azurite.connectionString }, retention: { days: 1 } }, 'again.yaml');
    const pruned = await runCliAsync(['compact', '--db', db, '--config', config, '--no-rewrite']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain(`Deleted ${total.toLocaleString('en-US')} events`);
    // The same days replayed (the store has nothing left to dedupe them against), and one record
    // of an exported day the blobs never had: a copy with another correlationId.
    const record = (JSON.parse(readFileSync(join(repoRoot, SCENARIO_DAYS[0]!), 'utf8').split('\n')[0]!) as { records: object[] }).records[0]!;
    const older = join(tmp.dir, 'older-history.json');
    writeFileSync(older, JSON.stringify({ records: [{ ...record, correlationId: 'backfilled-0001' }] }));
    expect((await replayAsync(db, [...SCENARIO_DAYS.slice(0, 4), older])).stored).toBe(total + 1);

    const r = await runCliAsync(['export', '--db', db, '--config', config, '--to', to]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Exported 1 events');
    expect(r.stdout).toContain(`Left out ${total.toLocaleString('en-US')} late events ${to} already holds (ingested again after retention deleted their day).`);
    const counted = async (into: string) => {
      const q = await runCliAsync(['query', '--parquet', await download('again/', join(tmp.dir, into)),
        "SELECT count(*) AS n, count(DISTINCT event_id) AS d, count(*) FILTER (correlation_id = 'backfilled-0001') AS new FROM events", '--format', 'json']);
      expect(q.code, q.stderr).toBe(0);
      return JSON.parse(q.stdout) as unknown;
    };
    expect(await counted('again-1')).toEqual([{ n: total + 1, d: total + 1, new: 1 }]);

    const before = await blobVersions('again/');
    const rerun = await runCliAsync(['export', '--db', db, '--config', config, '--to', to]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toBe(`Exported 0 events to ${to}.\n`);
    expect(await blobVersions('again/')).toEqual(before);
    expect(await counted('again-2')).toEqual([{ n: total + 1, d: total + 1, new: 1 }]);
  });

  it('exports old history, pruned with no export configured, to a container that does not exist yet', async () => {
    const db = copySeed('fresh');
    const pruned = await runCliAsync(['compact', '--db', db, '--retain', '1d', '--no-rewrite']);
    expect(pruned.code, pruned.stderr).toBe(0);
    const { stored } = await replayAsync(db, SCENARIO_DAYS.slice(0, 1));
    const to = 'az://devstoreaccount1/fresh/events';
    const r = await runCliAsync(['export', '--db', db, '--to', to], { env: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Exported ${stored.toLocaleString('en-US')} events to ${to}.\n`);
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('fresh');
    const names: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix: 'events/' })) names.push(b.name);
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(n).toMatch(/^events\/category=[^/]+\/date=\d{4}-\d{2}-\d{2}\/late-\d+-0\.parquet$/);
  });

  it('explains a malformed az:// URL', async () => {
    const r = await runCliAsync(['export', '--db', seed, '--to', 'az://Bad_Account/x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/az:\/\/Bad_Account\/x: expected az:\/\/<storage account>\/<container>/);
  });
});

describe('auditlake compact', () => {
  it('never deletes what no export holds: an export the storage account refuses leaves every event in place', async () => {
    const db = copySeed('unreachable');
    const config = writeConfig(tmp.dir, {
      export: { to: 'az://devstoreaccount1/audit/unreachable', connectionString: wrongKey() },
      retention: { days: 1 },
    }, 'unreachable.yaml');
    const r = await runCliAsync(['compact', '--db', db, '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/upload to az:\/\/devstoreaccount1\/audit\/unreachable failed/);
    expect(await count(db)).toBe(total);
  });

  it('exports, deletes what the export holds, and rewrites the file smaller', async () => {
    const db = copySeed('compact');
    const out = join(tmp.dir, 'compact-export');
    const config = writeConfig(tmp.dir, { export: { to: out }, retention: { days: 1 } }, 'compact.yaml');
    const before = statSync(db).size;
    const r = await runCliAsync(['compact', '--db', db, '--config', config]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Exported ${total.toLocaleString('en-US')} events`);
    expect(r.stdout).toContain(`Deleted ${total.toLocaleString('en-US')} events`);
    expect(r.stdout).toMatch(/Rewrote .*: [\d.]+ MB → [\d.]+ MB/);
    expect(statSync(db).size).toBeLessThan(before);
    expect(await count(db)).toBe(0);
    // Everything deleted is in the export, and the rewritten file keeps the other tables.
    const q = await runCliAsync(['query', '--parquet', out, 'SELECT count(DISTINCT event_id) AS n FROM events', '--format', 'json']);
    expect(JSON.parse(q.stdout)).toEqual([{ n: total }]);
    expect(await count(db, 'SELECT count(*) AS n FROM retention_runs')).toBe(1);
    expect(await count(db, 'SELECT count(*) AS n FROM exports')).toBe(1);
  });

  it('without export configured, --retain deletes old events outright', async () => {
    const db = copySeed('plain');
    const r = await runCliAsync(['compact', '--db', db, '--retain', '1d', '--no-rewrite']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Deleted ${total.toLocaleString('en-US')} events`);
    expect(await count(db)).toBe(0);
    const bad = await runCliAsync(['compact', '--db', db, '--retain', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--retain soon: expected a duration like 90d');
    const greedy = await runCliAsync(['compact', '--db', db, '--memory-limit', 'lots']);
    expect(greedy.code).toBe(2);
    expect(greedy.stderr).toContain('--memory-limit lots: expected a size like 4GB or 512MB');
    const starved = await runCliAsync(['compact', '--db', db, '--memory-limit', '1KB']);
    expect(starved.code).toBe(1);
    expect(starved.stderr).toContain('DuckDB had 1KB of memory: give it more with --memory-limit');
    expect(starved.stderr).not.toContain('another auditlake process holds it');
  });
});

describe('auditlake run with export and retention', () => {
  let peer: EventHubsPeer;
  beforeAll(async () => { peer = await startEventHubsPeer({ hubs: { quiet: 1 } }); });
  afterAll(async () => { await peer?.close(); });

  it('exports the days no export holds to Blob Storage, then deletes them, while answering queries', async () => {
    const db = copySeed('run');
    const config = writeConfig(tmp.dir, {
      db,
      sources: { eventhubs: [{ connectionString: peer.connectionString('quiet'), hubs: ['quiet'], consumerGroup: 'auditlake' }] },
      export: { to: 'az://devstoreaccount1/audit/run', connectionString: azurite.connectionString },
      retention: { days: 1 },
      server: { port: 0 },
    }, 'run.yaml');
    const run = startRun(config);
    try {
      const exported = await run.waitForLog((l) => l.msg === 'Exported.', 60_000);
      expect(exported.rows).toBe(total);
      const retained = await run.waitForLog((l) => l.msg === 'Retention applied.', 60_000);
      expect(retained).toMatchObject({ deleted: total, keptUnexported: 0 });
      // Through run's server: the events are gone from the database, the record of it is there.
      expect(await count(db)).toBe(0);
      expect(await count(db, 'SELECT sum(deleted)::INT AS n FROM retention_runs')).toBe(total);
      expect((await blobNames('run/')).length).toBeGreaterThan(4);
      expect(run.output()).not.toContain('AccountKey=');
    } finally {
      await run.stop('SIGTERM');
    }
  });
});
