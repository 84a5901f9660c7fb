/**
 * `auditlake serve` opens a database read-only, so it cannot apply this version's migrations:
 * on a file an older version wrote it says so at start, and what to do, rather than leaving the
 * console's saved queries to fail without a reason.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../src/store/duckdb.js';
import { repoRoot } from './support/cli.js';
import { tempDir } from './support/db.js';

const tmp = tempDir('auditlake-serve-upgrade-');
afterAll(() => tmp.cleanup());

/** `serve`'s stderr up to its console line, then stopped. */
async function serveBanner(db: string): Promise<string> {
  const child = spawn(process.execPath, [resolve(repoRoot, 'bin/auditlake.js'), 'serve', '--db', db, '--port', '0'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  try {
    await new Promise<void>((done, fail) => {
      child.stderr!.on('data', (b: Buffer) => {
        stderr += b.toString();
        if (/Console: http/.test(stderr)) done();
      });
      child.on('exit', (code) => fail(new Error(`serve exited ${code}:\n${stderr}`)));
    });
  } finally {
    child.kill('SIGTERM');
    await exited; // it removes its <db>.server.json on the way out
  }
  return stderr;
}

describe('auditlake serve on a file an older version wrote', () => {
  it('warns at start that it lacks a migration, and names how to upgrade it', async () => {
    const db = join(tmp.dir, 'old.duckdb');
    const store = await Store.open(db);
    await store.execute("DROP MACRO TABLE events_between; DELETE FROM schema_migrations WHERE version = '007_events_between.sql'");
    store.close();
    expect(await serveBanner(db)).toMatch(/warning: .*old\.duckdb was written by an older auditlake and lacks migration 007_events_between\.sql: open it once with this version writable/);
    // Once opened writable, it is upgraded and the warning is gone.
    (await Store.open(db)).close();
    expect(await serveBanner(db)).not.toMatch(/warning/);
  });
});
