/**
 * How `auditlake query` finds the server of the process holding a database: `run` writes
 * `<db>.server.json` (`{ url, pid, tokenFile }`) next to the database, and the bearer token in
 * its own file, mode 0600 (default `<db>.token`), so that only the user who runs the consumer
 * (and root) can query through it. The info file holds no secret.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AuditlakeError, errorMessage } from '../errors.js';
import { isAlive } from '../pid.js';

export interface ServerInfo {
  /** Base URL, e.g. http://127.0.0.1:8780 */
  url: string;
  pid: number;
  /** Absolute path of the token file. */
  tokenFile: string;
  /** The holder opened the database read-only (`serve`), so other readers can open it too. */
  readOnly?: boolean;
}

/**
 * The info file's fields, if they are what `writeServerInfo` writes. Checked by hand: loading zod
 * for three fields cost every `auditlake query` ~0.1 s of start-up.
 */
function asServerInfo(value: unknown): ServerInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { url, pid, tokenFile, readOnly } = value as Record<string, unknown>;
  if (typeof url !== 'string' || !URL.canParse(url)) return undefined;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (typeof tokenFile !== 'string' || tokenFile === '') return undefined;
  return readOnly === true ? { url, pid, tokenFile, readOnly } : { url, pid, tokenFile };
}

export const serverInfoPath = (db: string): string => `${db}.server.json`;
export const defaultTokenFile = (db: string): string => `${db}.token`;

/** Writes `<db>.server.json` atomically (a reader never sees half a file). */
export function writeServerInfo(db: string, info: ServerInfo): void {
  const body: ServerInfo = { url: info.url, pid: info.pid, tokenFile: resolve(info.tokenFile), ...(info.readOnly ? { readOnly: true } : {}) };
  writeAtomic(serverInfoPath(db), `${JSON.stringify(body, null, 2)}\n`, 0o644);
}

/**
 * The server of the process holding `db`, or undefined when there is no info file, it is not
 * valid, or its process is gone (a consumer killed with -9 leaves the file behind).
 */
export function readServerInfo(db: string): ServerInfo | undefined {
  let text: string;
  try {
    text = readFileSync(serverInfoPath(db), 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const info = asServerInfo(parsed);
  return info && isAlive(info.pid) ? info : undefined;
}

/**
 * Removes `<db>.server.json` if it is this process's (or its process is gone): a second
 * consumer that failed to open the database must not remove the first one's.
 */
export function removeServerInfo(db: string): void {
  const path = serverInfoPath(db);
  let pid: number | undefined;
  try {
    pid = (JSON.parse(readFileSync(path, 'utf8')) as { pid?: number }).pid;
  } catch {
    pid = undefined;
  }
  if (pid === undefined || pid === process.pid || !isAlive(pid)) rmSync(path, { force: true });
}

/** A fresh random token (32 bytes, hex) written atomically to `path` with mode 0600; returns it. */
export function createTokenFile(path: string): string {
  const token = randomBytes(32).toString('hex');
  writeAtomic(path, `${token}\n`, 0o600);
  return token;
}

/**
 * The token in `path` when the file exists (it must not be readable by group or others),
 * else a new one written there by createTokenFile: a restarted consumer keeps its token.
 */
export function ensureTokenFile(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    return createTokenFile(path);
  }
  if ((mode & 0o077) !== 0) {
    throw new AuditlakeError('bad_config', `token file ${path} is readable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it, or delete it for a new one`);
  }
  return readTokenFile(path);
}

/** The token in `path` (surrounding whitespace trimmed). */
export function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AuditlakeError('not_found', `token file ${path}: cannot read it (${errorMessage(err)})`, { cause: err });
  }
  const token = text.trim();
  if (token === '') throw new AuditlakeError('bad_input', `token file ${path}: empty`);
  return token;
}


/** Write a temp file beside the target (same filesystem) with the final mode, fsync, rename. */
function writeAtomic(path: string, text: string, mode: number): void {
  const tmp = resolve(dirname(path), `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // 'wx': never follow or reuse an existing file. The mode applies from creation, before any
  // byte is written; the umask can only narrow it.
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
