/**
 * What the CLI loads: the Azure SDKs and kafkajs take ~0.7 s to import, so they are imported
 * only by the code that calls them, when it does. A command that calls no Azure service (every
 * `--help`, `replay` without Azure sinks, `export` to a folder, `run --check`) loads none, even
 * with a config that names them all.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './support/cli.js';
import { tempDir } from './support/db.js';
import { writeConfig } from './support/service.js';

const tmp = tempDir('auditlake-start-up-');
afterAll(() => tmp.cleanup());

/** The packages behind Azure services and Kafka, by what their names start with. */
const SDK = /^(@azure\/|@azure-rest\/|kafkajs$|rhea-promise$|rhea$)/;

/** Runs the CLI with the resolve hook; returns its result and the npm packages it loaded. */
function cliLoading(args: string[]) {
  const log = join(tmp.dir, `resolved-${Math.random().toString(36).slice(2)}.txt`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(resolve(repoRoot, 'test/support/record-resolved.mjs')).href, resolve(repoRoot, 'bin/auditlake.js'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', RECORD_RESOLVED_TO: log },
    encoding: 'utf8',
    timeout: 90_000,
  });
  const urls = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  rmSync(log, { force: true });
  // The package a URL is in: after its last node_modules/ (a nested copy is still that package).
  const packages = new Set(urls.flatMap((url) => [...url.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].slice(-1).map((m) => m[1]!)));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, packages: [...packages].sort() };
}

function expectNoSdk(loaded: ReturnType<typeof cliLoading>) {
  expect(loaded.code, loaded.stderr).toBe(0);
  // The hook saw the process's imports at all: commander is every command's first.
  expect(loaded.packages).toContain('commander');
  expect(loaded.packages.filter((p) => SDK.test(p))).toEqual([]);
}

/** Names every source, sink and destination that needs an SDK; a `keyvault:` reference too. */
const EVERYTHING = {
  azure: { credential: { kind: 'managedIdentity' } },
  sources: {
    eventhubs: [{ fullyQualifiedNamespace: 'ns1.servicebus.windows.net', hubs: ['insights-logs-auditevent'], checkpoints: { store: 'blob', containerUrl: 'https://acct.blob.core.windows.net/checkpoints' } }],
    kafka: [{ brokers: ['127.0.0.1:9092'], topics: ['signin'] }],
  },
  sinks: {
    sentinel: [{ endpoint: 'https://dce.westeurope-1.ingest.monitor.azure.com', ruleId: 'dcr-00112233445566778899aabbccddeeff' }],
    kafka: [{ brokers: ['127.0.0.1:9092'], topic: 'alerts' }],
    webhook: [{ url: 'https://hooks.example.com/auditlake', secret: 'keyvault:https://kv1.vault.azure.net/secrets/hook' }],
  },
  export: { to: 'az://acct1/audit/events' },
};

describe('start-up loads no Azure SDK or kafkajs', () => {
  it('for the root --help, which loads every command', () => {
    const loaded = cliLoading(['--help']);
    expectNoSdk(loaded);
    expect(loaded.stdout).toContain('replay');
  });

  it('for run --check on a config that names every Azure service and Kafka', () => {
    const config = writeConfig(tmp.dir, EVERYTHING, 'everything.yaml');
    const loaded = cliLoading(['run', '--check', '--config', config]);
    expectNoSdk(loaded);
    expect(loaded.stdout).toContain('valid.');
  });

  it('for replay delivering to a file sink, then export to a folder', () => {
    const db = join(tmp.dir, 'replayed.duckdb');
    const alerts = join(tmp.dir, 'alerts.ndjson');
    const config = writeConfig(tmp.dir, { db, sinks: { ndjson: [{ path: alerts }] } }, 'file-sink.yaml');
    const replayed = cliLoading(['replay', '--quiet', '--config', config, 'fixtures/demo']);
    expectNoSdk(replayed);
    expect(replayed.stdout).toMatch(/Delivered \d+ alerts? to the sinks\./);
    expect(readFileSync(alerts, 'utf8')).toContain('"alert_id"');

    const exported = cliLoading(['export', '--db', db, '--to', join(tmp.dir, 'parquet')]);
    expectNoSdk(exported);
    expect(exported.stdout).toMatch(/^Exported [\d,]+ events/);
  });
});
