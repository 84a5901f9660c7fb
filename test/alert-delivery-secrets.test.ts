/**
 * Webhook delivery from the real CLI against plain-HTTP receivers on 127.0.0.1:
 * - a receiver that answers 400 quoting the request (URL and API key) leaves none of the sink's
 *   configured secrets in the CLI's output nor in `alerts --pending` (alert_deliveries.last_error);
 * - a receiver that answers 429 with `Retry-After: 60` gets nothing more for a minute, not even
 *   alerts raised by a later replay (the pause is the sink's, and stored).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADA, at, INTRUDER, kvRecord, PIPELINE } from '../src/detectors/cases.js';
import { runCliAsync } from './support/cli.js';
import { queryJson, tempDir, writeFile } from './support/db.js';
import { writeConfig } from './support/service.js';

const tmp = tempDir('auditlake-delivery-secrets-');
const HMAC = 'whsec_0123456789abcdef';
const SECRETS = ['SIGSECRET77', 'FUNCKEY123', 'APIKEY-SECRET-42', HMAC];

const hits: Array<{ at: number; path: string }> = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0]!;
      hits.push({ at: Date.now(), path });
      if (path === '/echo') {
        // What a careless receiver does: quote the request in its error.
        res.writeHead(400).end(`bad request: got ${req.url} with X-Api-Key ${String(req.headers['x-api-key'])} and ${body.length} bytes`);
      } else if (path === '/busy') {
        res.writeHead(429, { 'Retry-After': '60' }).end('slow down');
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  tmp.cleanup();
});

const ndjson = (records: object[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
/** Eight days of the usual readers, then an unknown principal reading a secret: a first-seen alert. */
const history = writeFile(tmp.dir, 'history.ndjson', ndjson(Array.from({ length: 8 }, (_, d) => [
  kvRecord({ operation: 'SecretGet', ...ADA, name: 'db-password', time: at(d, 540) }),
  kvRecord({ operation: 'SecretGet', ...PIPELINE, name: 'app-secret-0', time: at(d, 120) }),
]).flat()));
const intruder = writeFile(tmp.dir, 'intruder.ndjson', ndjson([kvRecord({ operation: 'SecretGet', ...INTRUDER, name: 'db-password', time: at(8, 600) })]));
/** Later: the intruder lists the vault and reads 30 secrets (more alerts, raised by a second replay). */
const burst = writeFile(tmp.dir, 'burst.ndjson', ndjson([
  kvRecord({ operation: 'SecretList', ...INTRUDER, time: at(8, 620) }),
  ...Array.from({ length: 30 }, (_, i) => kvRecord({ operation: 'SecretGet', ...INTRUDER, name: `s-${i}`, time: at(8, 620, i + 1) })),
]));

async function cli(args: string[]) {
  const r = await runCliAsync(args, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`auditlake ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
  return r;
}

describe('webhook delivery from the CLI', () => {
  it('keeps configured header values and URL query values out of logs and alert_deliveries.last_error', async () => {
    const db = join(tmp.dir, 'echo.duckdb');
    const config = writeConfig(tmp.dir, {
      db,
      sinks: { webhook: [{ name: 'echo', url: `${base}/echo?sig=SIGSECRET77&code=FUNCKEY123`, secret: HMAC, headers: { 'X-Api-Key': 'APIKEY-SECRET-42' } }] },
      delivery: { initialBackoffSeconds: 0.2, maxBackoffSeconds: 1, replayDeadlineSeconds: 1 },
    }, 'echo.yaml');
    const replay = await cli(['replay', '--config', config, history, intruder]);
    const pending = await cli(['alerts', '--pending', '--config', config, '--db', db, '--format', 'json']);
    const rows = JSON.parse(pending.stdout) as Array<{ sink: string; last_error: string }>;
    const stored = queryJson(db, 'SELECT last_error FROM alert_deliveries');

    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]!.last_error).toMatch(/answered 400 .*bad request: got \/echo\?sig=REDACTED&code=REDACTED with X-Api-Key REDACTED/);
    expect(replay.stderr).toMatch(/Alert delivery failed/); // the log line is there, scrubbed
    for (const text of [replay.stdout, replay.stderr, pending.stdout, pending.stderr, JSON.stringify(stored)]) {
      for (const secret of SECRETS) expect(text).not.toContain(secret);
    }
  });

  it('honours a 429 Retry-After for every alert to the sink, including alerts raised by a later replay', async () => {
    const db = join(tmp.dir, 'busy.duckdb');
    const config = writeConfig(tmp.dir, {
      db,
      sinks: { webhook: [{ name: 'busy', url: `${base}/busy`, secret: HMAC }] },
      delivery: { initialBackoffSeconds: 0.2, maxBackoffSeconds: 300, replayDeadlineSeconds: 2 },
    }, 'busy.yaml');
    hits.length = 0;
    await cli(['replay', '--config', config, history, intruder]);
    const first = hits.filter((h) => h.path === '/busy').length;
    expect(first).toBeGreaterThan(0);
    const before = queryJson(db, 'SELECT count(*)::INTEGER AS n FROM alerts')[0]!.n as number;

    await cli(['replay', '--config', config, burst]);
    const after = queryJson(db, 'SELECT count(*)::INTEGER AS n FROM alerts')[0]!.n as number;
    expect(after).toBeGreaterThan(before); // new alerts, never sent to this sink...
    expect(hits.filter((h) => h.path === '/busy')).toHaveLength(first); // ...and still not sent: the sink is paused
    const pending = JSON.parse((await cli(['alerts', '--pending', '--config', config, '--db', db, '--format', 'json'])).stdout) as unknown[];
    expect(pending).toHaveLength(after);
  });
});
