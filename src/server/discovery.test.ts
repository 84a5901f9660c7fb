import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTokenFile, ensureTokenFile, readServerInfo, readTokenFile, removeServerInfo, serverInfoPath, writeServerInfo } from './discovery.js';

let dir: string;
let db: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'auditlake-discovery-'));
  db = join(dir, 'live.duckdb');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A pid that was alive a moment ago and is not now. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('server discovery', () => {
  it('writes a 32-byte hex token with mode 0600, atomically (no temp file left)', () => {
    const file = join(dir, 'live.duckdb.token');
    const token = createTokenFile(file);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readTokenFile(file)).toBe(token);
    const again = createTokenFile(file);
    expect(again).not.toBe(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['live.duckdb.token']);
  });

  it('keeps an existing private token file, and refuses one others can read', () => {
    const file = join(dir, 'kept.token');
    const token = ensureTokenFile(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureTokenFile(file)).toBe(token);
    chmodSync(file, 0o644);
    expect(() => ensureTokenFile(file)).toThrow(/kept\.token is readable by others \(mode 644\)/);
  });

  it('round-trips the server info of a live process, with an absolute token path', () => {
    writeServerInfo(db, { url: 'http://127.0.0.1:8780', pid: process.pid, tokenFile: join(dir, 't') });
    expect(readServerInfo(db)).toEqual({ url: 'http://127.0.0.1:8780', pid: process.pid, tokenFile: join(dir, 't') });
    expect(JSON.parse(readFileSync(serverInfoPath(db), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('ignores info that is absent, not JSON, incomplete, or of a process that is gone', () => {
    expect(readServerInfo(db)).toBeUndefined();
    writeFileSync(serverInfoPath(db), '{"url": "http://127.0.0.1:1"');
    expect(readServerInfo(db)).toBeUndefined();
    writeFileSync(serverInfoPath(db), JSON.stringify({ url: 'http://127.0.0.1:1', pid: process.pid }));
    expect(readServerInfo(db)).toBeUndefined();
    writeServerInfo(db, { url: 'http://127.0.0.1:1', pid: deadPid(), tokenFile: 't' });
    expect(readServerInfo(db)).toBeUndefined();
    const good = { url: 'http://127.0.0.1:1', pid: process.pid, tokenFile: 't' };
    for (const bad of [null, [], 'x', { ...good, url: 'not a url' }, { ...good, pid: String(process.pid) }, { ...good, pid: -1 },
      { ...good, pid: 1.5 }, { ...good, tokenFile: '' }, { ...good, tokenFile: 7 }]) {
      writeFileSync(serverInfoPath(db), JSON.stringify(bad));
      expect(readServerInfo(db), JSON.stringify(bad)).toBeUndefined();
    }
    writeFileSync(serverInfoPath(db), JSON.stringify({ ...good, extra: true }));
    expect(readServerInfo(db)).toEqual(good);
    writeFileSync(serverInfoPath(db), JSON.stringify({ ...good, readOnly: true }));
    expect(readServerInfo(db)).toEqual({ ...good, readOnly: true });
  });

  it('removes its own info or a dead process\'s, never a live other process\'s', () => {
    writeServerInfo(db, { url: 'http://127.0.0.1:1', pid: process.ppid, tokenFile: 't' });
    removeServerInfo(db);
    expect(readServerInfo(db)?.pid).toBe(process.ppid);
    writeServerInfo(db, { url: 'http://127.0.0.1:1', pid: deadPid(), tokenFile: 't' });
    removeServerInfo(db);
    expect(() => statSync(serverInfoPath(db))).toThrow();
    writeServerInfo(db, { url: 'http://127.0.0.1:1', pid: process.pid, tokenFile: 't' });
    removeServerInfo(db);
    expect(() => statSync(serverInfoPath(db))).toThrow();
    removeServerInfo(db); // absent: nothing to do
  });

  it('says which token file it cannot read', () => {
    expect(() => readTokenFile(join(dir, 'missing.token'))).toThrow(/token file .*missing\.token: cannot read it/);
  });
});
