/**
 * httpRequest over real sockets: a plain HTTP server in this process, and an HTTPS peer with a
 * self-signed certificate that `auditlake query --server https://…` reaches as a subprocess
 * (trusting it through NODE_EXTRA_CA_CERTS, as an operator's CA would be).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../test/support/cli.js';
import { startHttpsPeer } from '../test/support/https-peer.js';
import { httpRequest } from './http-request.js';

const dir = mkdtempSync(join(tmpdir(), 'auditlake-http-'));
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function text(body: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of body) parts.push(b);
  return Buffer.concat(parts).toString('utf8');
}

describe('httpRequest', () => {
  it('sends the method, headers and body, and gives the status and the body as it streams', async () => {
    let seen: { method?: string; type?: string; length?: string; body: string } = { body: '' };
    const url = await listen(async (req, res) => {
      seen = { method: req.method, type: req.headers['content-type'], length: req.headers['content-length'], body: await text(req) };
      res.writeHead(201, { 'Retry-After': '3' });
      res.write('first ');
      setTimeout(() => res.end('second'), 20);
    });
    const body = JSON.stringify({ sql: 'SELECT 1', note: 'é' });
    const res = await httpRequest(`${url}/sql`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(res.statusCode).toBe(201);
    expect(res.headers['retry-after']).toBe('3');
    expect(await text(res)).toBe('first second');
    expect(seen).toEqual({ method: 'POST', type: 'application/json', length: String(Buffer.byteLength(body)), body });
  });

  it('stops reading a body when its signal aborts', async () => {
    const url = await listen((_req, res) => {
      res.writeHead(200);
      res.write('a start, then nothing');
    });
    const res = await httpRequest(url, { signal: AbortSignal.timeout(200) });
    await expect(text(res)).rejects.toThrow(/abort/i);
  });

  it('refuses other URL schemes, and reports a refused connection', async () => {
    await expect(httpRequest('ftp://127.0.0.1/x')).rejects.toThrow('ftp: URLs are not served: only http and https');
    await expect(httpRequest('http://127.0.0.1:9/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('reaches a server behind TLS: `auditlake query --server https://…`', async () => {
    const peer = await startHttpsPeer((req, _body, res) => {
      if (req.url !== '/sql' || req.headers.authorization !== 'Bearer t0ken') return void res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ columns: [{ name: 'answer', type: 'INTEGER' }], rows: [[42]], truncated: false }));
    });
    try {
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, 't0ken\n', { mode: 0o600 });
      const r = await runCliAsync(['query', '--server', peer.url, '--token-file', tokenFile, '--format', 'csv', 'SELECT 42 AS answer'], { env: { NODE_EXTRA_CA_CERTS: peer.caFile } });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('answer\r\n42\r\n'); // CSV lines end in CRLF (RFC 4180)
    } finally {
      await peer.close();
    }
  });
});
