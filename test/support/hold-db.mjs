// A stand-in for `auditlake run` in tests: holds a database open (DuckDB's file lock), serves
// it with the real HTTP server, writes `<db>.server.json` and the token file, and keeps
// committing a batch (one synthetic event, and now and then an alert) through Store.commitBatch
// until SIGTERM. Plain JavaScript over the built dist/ so it runs as a subprocess.
//
//   node test/support/hold-db.mjs DB [--timeout-ms N] [--max-rows N] [--no-server-info] [--every-ms N]
//
// Prints one JSON line `{"url": ..., "tokenFile": ..., "pid": ...}` on stdout once it serves and
// has committed its first batch.
import { randomBytes } from 'node:crypto';
import { Store } from '../../dist/src/store/duckdb.js';
import { stagePath, writeStageFile } from '../../dist/src/store/stage.js';
import { startServer } from '../../dist/src/server/http.js';
import { Metrics } from '../../dist/src/server/metrics.js';
import { createTokenFile, defaultTokenFile, removeServerInfo, writeServerInfo } from '../../dist/src/server/discovery.js';

const [db, ...rest] = process.argv.slice(2);
if (!db) throw new Error('usage: hold-db.mjs DB [options]');
const flag = (name, fallback) => {
  const i = rest.indexOf(name);
  return i >= 0 ? Number(rest[i + 1]) : fallback;
};
const writeInfo = !rest.includes('--no-server-info');
const everyMs = flag('--every-ms', 100);

const store = await Store.open(db, { threads: 2 });
const reader = await store.reader();
const metrics = new Metrics();
const tokenFile = defaultTokenFile(db);
const token = createTokenFile(tokenFile);
const server = await startServer({
  token, reader, metrics, isReady: () => true,
  limits: { queryTimeoutMs: flag('--timeout-ms', 30_000), maxRows: flag('--max-rows', 100_000) },
});
if (writeInfo) writeServerInfo(db, { url: server.url, pid: process.pid, tokenFile });

let batches = 0;
let stopping = false;
// Announced once the first batch is committed: a test that starts querying then sees the
// holder's writes (under a loaded CI machine the first commit took longer than the query).
let firstCommitted;
const committed = new Promise((resolve) => { firstCommitted = resolve; });
const committing = (async () => {
  while (!stopping) {
    const now = Date.now();
    const event = syntheticEvent(now);
    const path = stagePath('events');
    const { minTime, maxTime, longestLineBytes } = writeStageFile([event], path);
    const n = batches++;
    const r = await store.commitBatch(
      { stages: [{ path, rows: 1, minTime, maxTime, longestLineBytes }], events: [event], rejects: [], checkpoints: [{ source: 'test.hold', partition: '0', position: String(n) }] },
      (inserted) => ({ alerts: n % 5 === 0 ? inserted.map((e) => syntheticAlert(e, now)) : [] }),
    );
    metrics.recordCommit({ records: 1, stored: r.inserted, duplicates: r.duplicates, rejected: r.rejected, latencyMs: Date.now() - now });
    for (const a of r.alerts) metrics.alertRaised(a.severity);
    firstCommitted();
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
})();

await Promise.race([committed, committing]);
process.stdout.write(`${JSON.stringify({ url: server.url, tokenFile, pid: process.pid })}\n`);

const stop = async () => {
  if (stopping) return;
  stopping = true;
  await committing;
  await server.close();
  reader.close();
  if (writeInfo) removeServerInfo(db);
  store.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
committing.catch((err) => {
  process.stderr.write(`hold-db: commit failed: ${err.stack ?? err}\n`);
  process.exit(1);
});

function syntheticEvent(now) {
  return {
    event_id: randomBytes(16).toString('hex'), time: now, ingested_at: now, source: 'test.hold', category: 'HoldTest',
    operation: 'HoldTestWrite', result: 'success', status_code: '200', principal_id: '00000000-0000-0000-0000-00000000a11e',
    principal_name: 'holder@test.example', app_id: null, principal_type: 'servicePrincipal', auth_type: 'oauth', caller_ip: '192.0.2.1',
    resource_id: null, subscription_id: null, resource_group: null, resource_type: null, resource_name: null, target: null,
    role_definition_id: null, bytes_out: 1, bytes_in: 1, user_agent: 'hold-db', tls_version: null, correlation_id: null,
    details: { batch: batches }, raw: '{"synthetic":true}',
  };
}

function syntheticAlert(e, now) {
  return {
    alert_id: `hold-${e.event_id}`, detector_id: 'test.hold', title: 'Holder test alert', severity: 'low', tactics: ['Collection'],
    techniques: ['T1530'], time_generated: now, first_event_time: e.time, last_event_time: e.time, principal_id: e.principal_id,
    principal_name: e.principal_name, app_id: null, caller_ip: e.caller_ip, resource_id: null, event_count: 1,
    evidence: { event_ids: [e.event_id] }, description: 'Raised by the test holder.', remediation: 'None.',
  };
}
