/**
 * bench/console: how long each view of the investigation console takes to answer on a database
 * of N events (bench/database.ts), through the real HTTP server as `auditlake serve` runs it
 * (database read-only, DuckDB's default threads), measured at the client: statements, JSON and
 * the socket. p50 and max of K runs after one warm-up. The issue's target: under 1 s each.
 *
 *   npm run bench:console -- [events=1000000] [runs=7]
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { startServer } from '../src/server/http.js';
import { Metrics } from '../src/server/metrics.js';
import { Store } from '../src/store/duckdb.js';
import { buildBenchDatabase } from './database.js';
import { fmtInt, machineBusyS, mb, processCpu } from './measure.js';
import { writeResults } from './results.js';

const events = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 7);
const TARGET_MS = 1000;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** `target: false`: the SQL console's time is the statement's own (saved queries: see the query section). */
interface Call { view: string; what: string; path: string; body?: object; target?: false }
interface Measured extends Call { ms: number[]; bytes: number }

const db = await buildBenchDatabase(events, { log });
log(`Database: ${db.path}, ${fmtInt(db.events)} events, ${fmtInt(db.alerts)} alerts, ${mb(db.bytes).toFixed(0)} MB${db.built ? `, built in ${db.buildSeconds.toFixed(0)} s` : ' (cached)'}.`);

const store = await Store.open(db.path, { readOnly: true });
const reader = await store.reader();
const token = randomBytes(32).toString('hex');
const server = await startServer({ token, reader, metrics: new Metrics(), limits: { queryTimeoutMs: 30_000, maxRows: 100_000 } });
const auth = { Authorization: `Bearer ${token}` };

const calls = await pickCalls(store);
const loadBefore = loadavg()[0]!;
const busyBefore = machineBusyS();
const cpuBefore = processCpu(process.pid) ?? 0;
const wallBefore = performance.now();
const measured: Measured[] = [];
for (const call of calls) {
  const m: Measured = { ...call, ms: [], bytes: 0 };
  for (let i = 0; i <= runs; i++) {
    const started = performance.now();
    const res = await fetch(`${server.url}${call.path}`, call.body
      ? { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(call.body) }
      : { headers: auth });
    const body = await res.arrayBuffer();
    const ms = performance.now() - started;
    if (!res.ok) throw new Error(`${call.path}: HTTP ${res.status} ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
    if (i > 0) m.ms.push(ms); // the first run warms DuckDB's caches
    m.bytes = body.byteLength;
  }
  measured.push(m);
  log(`${call.view} ${call.what}: p50 ${p50(m.ms).toFixed(0)} ms, max ${max(m.ms).toFixed(0)} ms, ${fmtInt(m.bytes)} bytes`);
}
const wallS = (performance.now() - wallBefore) / 1000;
const othersShare = ((machineBusyS() - busyBefore) - ((processCpu(process.pid) ?? 0) - cpuBefore)) / wallS;
await server.close();
reader.close();
store.close();
writeResults('console', report(measured, { wallS, othersShare, loadBefore, loadAfter: loadavg()[0]! }));

/**
 * What an analyst opens: the alerts list (all, and filtered), the alert with the most
 * evidence, the busiest principal and the scenario's attacker (a small one), an IP-only caller,
 * the busiest storage account and a vault, and the SQL console's saved query and download.
 */
async function pickCalls(s: Store): Promise<Call[]> {
  const one = async (sql: string) => (await s.query(sql)).rows[0]!.map((v) => (v instanceof Date ? v.toISOString() : String(v)));
  const [busiest, busiestLast] = await one(`SELECT coalesce(principal_id, principal_name), max(time) FROM events WHERE coalesce(principal_id, principal_name) IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
  const [vault, vaultLast] = await one(`SELECT resource_id, max(time) FROM events WHERE resource_type = 'microsoft.keyvault/vaults' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
  const [alertId] = await one(`SELECT alert_id FROM alerts ORDER BY json_array_length(evidence->'event_ids') DESC, alert_id LIMIT 1`);
  const [detector, from, to] = await one(`SELECT detector_id, min(first_event_time), max(last_event_time) FROM alerts GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
  const [account] = await one(`SELECT regexp_extract(resource_id, '^(.*/storageaccounts/[^/]+)', 1) AS a FROM events WHERE resource_type LIKE 'microsoft.storage/%' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
  const q = (path: string, params: Record<string, string>) => `${path}?${new URLSearchParams(params).toString()}`;
  const attacker = 'adm-kwame.owusu@contoso-research.example';
  return [
    { view: 'alerts', what: 'list, all', path: '/api/alerts' },
    { view: 'alerts', what: `list, high, one detector, a time range`, path: q('/api/alerts', { severity: 'high', detector: detector!, from: from!, to: to! }) },
    { view: 'alert', what: 'the alert with the most evidence', path: q('/api/alert', { id: alertId! }) },
    { view: 'principal', what: `busiest principal (default 24 h)`, path: q('/api/principal', { p: busiest! }) },
    { view: 'principal', what: 'busiest principal, 7 days', path: q('/api/principal', { p: busiest!, ...sevenDaysTo(busiestLast!) }) },
    { view: 'principal', what: 'the scenario\'s attacker, by UPN', path: q('/api/principal', { p: attacker }) },
    { view: 'principal', what: 'an IP (SAS caller)', path: q('/api/principal', { p: '192.0.2.77' }) },
    { view: 'resources', what: 'list', path: '/api/resources' },
    { view: 'resource', what: 'busiest storage account', path: q('/api/resource', { id: account! }) },
    { view: 'resource', what: 'busiest vault, 7 days', path: q('/api/resource', { id: vault!, ...sevenDaysTo(vaultLast!) }) },
    { view: 'sql', what: 'an aggregate over every event, JSON', path: '/api/sql', body: { sql: 'SELECT category, count(*) AS events, sum(bytes_out) AS bytes FROM events GROUP BY ALL ORDER BY events DESC' } },
    { view: 'sql', what: 'saved principal-timeline, JSON', path: '/api/sql', body: { name: 'principal-timeline', params: { principal: attacker } }, target: false },
    { view: 'sql', what: 'saved storage-top-egress, CSV download', path: '/api/sql', body: { name: 'storage-top-egress', params: {}, format: 'csv' }, target: false },
  ];

  /** The 7 days up to a principal's or resource's own last activity (the view's window ends there too). */
  function sevenDaysTo(lastIso: string): { from: string; to: string } {
    const end = Math.ceil(Date.parse(lastIso) / 3_600_000) * 3_600_000;
    return { from: new Date(end - 7 * 86_400_000).toISOString(), to: new Date(end).toISOString() };
  }
}

function report(ms: Measured[], env: { wallS: number; othersShare: number; loadBefore: number; loadAfter: number }): string[] {
  const views = ms.filter((m) => m.target !== false);
  const worst = Math.max(...views.map((m) => max(m.ms)));
  return [
    `${fmtInt(db.events)} events, ${fmtInt(db.alerts)} alerts (\`bench/database.ts\`), opened read-only as \`auditlake serve\` does; each view's`
      + ` API call through the HTTP server, timed at the client, ${runs} runs after one warm-up.`
      + ` Load average ${env.loadBefore.toFixed(1)} → ${env.loadAfter.toFixed(1)}; other processes used ${env.othersShare.toFixed(2)} cores of 2 meanwhile.`,
    '',
    '| view | call | p50 ms | max ms | response bytes |',
    '| --- | --- | ---: | ---: | ---: |',
    ...ms.map((m) => `| ${m.view} | ${m.what}${m.target === false ? ' †' : ''} | ${p50(m.ms).toFixed(0)} | ${max(m.ms).toFixed(0)} | ${fmtInt(m.bytes)} |`),
    '',
    worst < TARGET_MS
      ? `Every view answered in under ${TARGET_MS} ms (slowest run: ${worst.toFixed(0)} ms).`
      : `**Over the ${TARGET_MS} ms target:** ${views.filter((m) => max(m.ms) >= TARGET_MS).map((m) => `${m.view} (${m.what})`).join(', ')}.`,
    '† A saved query run from the SQL console takes what the query itself takes (the `query` section times each one);'
      + ' the console adds the guard, JSON or CSV, and the socket. Not held to the views\' target.',
  ];
}

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function max(xs: number[]): number {
  return Math.max(...xs);
}
