/**
 * The client of `POST /sql` against servers that misbehave on a real socket: an answer cut
 * short must be an error that says so, never a shorter result.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Store } from '../store/duckdb.js';
import { openOrFindServer, queryServer } from './client.js';
import { writeServerInfo } from './discovery.js';

const dir = mkdtempSync(join(tmpdir(), 'auditlake-client-'));
let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; tokenFile: string }> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'a'.repeat(32), { mode: 0o600 });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tokenFile };
}

describe('queryServer', () => {
  it('reads a chunked answer whole', async () => {
    const target = await serve((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"columns":[{"name":"i","type":"BIGINT"}],"rows":[[1]');
      setTimeout(() => res.end(',[2]],"truncated":false}'), 20);
    });
    expect(await queryServer(target, 'SELECT 1')).toEqual({ columns: [{ name: 'i', type: 'BIGINT' }], rows: [[1], [2]], truncated: false });
  });

  it('reads the line layout as it arrives, whatever the chunks split, values as a local query gives them', async () => {
    const head = '{"columns":[{"name":"t","type":"TIMESTAMP WITH TIME ZONE"},{"name":"n","type":"BIGINT"},{"name":"s","type":"VARCHAR"}],"rows":[\n';
    const body = `${head}["2026-10-01T08:00:00.250Z","9007199254740993","café \\n ✓"]\n,[null,7,"a\\"b"]\n],"truncated":true}`;
    const bytes = Buffer.from(body);
    const target = await serve(async (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // Three bytes at a time: lines, and the two- and three-byte characters, arrive split.
      for (let i = 0; i < bytes.length; i += 3) {
        res.write(bytes.subarray(i, i + 3));
        if (i % 60 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      res.end();
    });
    expect(await queryServer(target, 'SELECT 1')).toEqual({
      columns: [{ name: 't', type: 'TIMESTAMP WITH TIME ZONE' }, { name: 'n', type: 'BIGINT' }, { name: 's', type: 'VARCHAR' }],
      rows: [[new Date('2026-10-01T08:00:00.250Z'), 9007199254740993n, 'café \n ✓'], [null, 7, 'a"b']],
      truncated: true,
    });
  });

  it('fails, saying so, when an answer in the line layout ends before its last line', async () => {
    for (const cut of ['end', 'destroy'] as const) {
      const target = await serve((req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"columns":[{"name":"i","type":"BIGINT"}],"rows":[\n[1]\n,[2]\n');
        setTimeout(() => (cut === 'end' ? res.end() : res.destroy()), 20);
      });
      await expect(queryServer(target, 'SELECT 1'), cut).rejects.toThrow(/server at http:\/\/127\.0\.0\.1:\d+ cut its answer short \(.+\); the server's log says why/);
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      server = undefined;
    }
  });

  it('fails, saying so, when the server cuts its answer short', async () => {
    const target = await serve((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"columns":[{"name":"i","type":"BIGINT"}],"rows":[[1],[2]');
      setTimeout(() => res.destroy(), 20);
    });
    await expect(queryServer(target, 'SELECT 1')).rejects.toThrow(/server at http:\/\/127\.0\.0\.1:\d+ cut its answer short \(.+\); the server's log says why/);
  });
});

describe('openOrFindServer', () => {
  it("goes to the live server of a writer's info file without opening the file", async () => {
    const target = await serve((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end('{"status":"ok"}'));
    const db = join(dir, 'served.duckdb'); // never created: the server is asked first
    writeServerInfo(db, { url: target.url, pid: process.pid, tokenFile: target.tokenFile });
    expect(await openOrFindServer(db, {})).toEqual({ server: { url: target.url, tokenFile: target.tokenFile } });
  });

  it("opens the file itself beside a read-only holder's server (serve), which would cut answers to its row limit", async () => {
    const target = await serve((_req, res) => res.writeHead(200).end('{"status":"ok"}'));
    const db = join(dir, 'beside.duckdb');
    (await Store.open(db)).close();
    writeServerInfo(db, { url: target.url, pid: process.pid, tokenFile: target.tokenFile, readOnly: true });
    const opened = await openOrFindServer(db, {});
    expect('store' in opened).toBe(true);
    if ('store' in opened) opened.store.close();
  });

  it('opens the file itself when the info names a live pid but nothing answers there', async () => {
    const db = join(dir, 'stale.duckdb');
    (await Store.open(db)).close();
    const closed = await serve((_req, res) => res.end());
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    writeServerInfo(db, { url: closed.url, pid: process.pid, tokenFile: closed.tokenFile });
    const opened = await openOrFindServer(db, {});
    expect('store' in opened).toBe(true);
    if ('store' in opened) opened.store.close();
  });
});
