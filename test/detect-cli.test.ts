/** `auditlake detectors` and `auditlake alerts`, and the alerts `replay` prints: the real CLI, real DuckDB files. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliAsync } from './support/cli.js';
import { replayAsync, tempDir } from './support/db.js';

const tmp = tempDir('auditlake-detect-');
afterAll(() => tmp.cleanup());
const db = join(tmp.dir, 'kv.duckdb');
let replayed: Awaited<ReturnType<typeof replayAsync>>;
beforeAll(async () => {
  replayed = await replayAsync(db, ['fixtures/keyvault', 'fixtures/activity'], { detect: true });
});

describe('auditlake detectors', () => {
  it('lists the catalogue: at least 24 detectors, unique ids, every family covered', async () => {
    const r = await runCliAsync(['detectors', 'list', '--format', 'json', '--verbose']);
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as { id: string; severity: string; needs: string; setting: string; remediation: string }[];
    expect(list.length).toBeGreaterThanOrEqual(24);
    expect(new Set(list.map((d) => d.id)).size).toBe(list.length);
    const families = new Set(list.map((d) => d.id.split('.')[0]));
    for (const f of ['keyvault', 'rbac', 'entra', 'storage', 'identity', 'governance', 'encryption']) expect(families).toContain(f);
    for (const d of list) {
      expect(['informational', 'low', 'medium', 'high']).toContain(d.severity);
      expect(d.needs.length).toBeGreaterThan(0);
      expect(d.setting.length).toBeGreaterThan(10);
      expect(d.remediation.length).toBeGreaterThan(10);
    }
  });

  it('runs every detector\'s own cases and says how many passed', async () => {
    const r = await runCliAsync(['detectors', 'test']);
    expect(r.code, r.stdout).toBe(0);
    const m = /(\d+) of (\d+) cases passed across (\d+) detectors/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(m![2]);
    expect(Number(m![3])).toBeGreaterThanOrEqual(24);
    expect(r.stdout).not.toMatch(/^FAIL/m);
  });

  it('refuses an unknown detector for --only', () => {
    const r = runCli(['detectors', 'test', '--only', 'nope.nothing']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('nope.nothing');
  });
});

describe('auditlake alerts', () => {
  it('lists what replay raised, most severe first, and filters by severity and detector', async () => {
    expect(replayed.alerts.length).toBeGreaterThan(0);
    const all = JSON.parse((await runCliAsync(['alerts', '--db', db, '--format', 'json'])).stdout) as { severity: string; detector_id: string; alert_id: string }[];
    expect(new Set(all.map((a) => a.alert_id))).toEqual(new Set(replayed.alerts.map((a) => a.alert_id)));
    const ranks = all.map((a) => ['informational', 'low', 'medium', 'high'].indexOf(a.severity));
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    const high = JSON.parse((await runCliAsync(['alerts', '--db', db, '--severity', 'high', '--format', 'json'])).stdout) as { severity: string }[];
    expect(high.length).toBeGreaterThan(0);
    expect(high.every((a) => a.severity === 'high')).toBe(true);
    const kv = JSON.parse((await runCliAsync(['alerts', '--db', db, '--detector', 'keyvault.', '--format', 'json'])).stdout) as { detector_id: string }[];
    expect(kv.length).toBeGreaterThan(0);
    expect(kv.every((a) => a.detector_id.startsWith('keyvault.'))).toBe(true);
  });

  it('shows nothing for a window that ended before the alerts were raised', async () => {
    const r = await runCliAsync(['alerts', '--db', db, '--since', '2000-01-01T00:00:00Z', '--format', 'json']);
    expect(JSON.parse(r.stdout).length).toBe(replayed.alerts.length);
    const future = await runCliAsync(['alerts', '--db', db, '--since', '2999-01-01T00:00:00Z', '--format', 'json']);
    expect(JSON.parse(future.stdout)).toEqual([]);
  });

  it('explains a bad --since and a missing database', () => {
    const bad = runCli(['alerts', '--db', db, '--since', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since yesterday: expected a duration like 30m, 24h, 7d/);
    const missing = runCli(['alerts', '--db', join(tmp.dir, 'none.duckdb')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no database there yet/);
  });

  it('is printed by replay after its summary', async () => {
    const r = await runCliAsync(['replay', '--db', join(tmp.dir, 'print.duckdb'), 'fixtures/keyvault']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Alerts raised or updated: \d+/);
    expect(r.stdout).toMatch(/keyvault\.sensitive-operation\s+ada\.park@fabrikam-demo\.example/);
    // Counted in words a reader expects: "(1 event from …)", "(33 events from …)".
    expect(r.stdout).toMatch(/\(1 event from /);
    expect(r.stdout).not.toMatch(/\(1 events /);
  });
});

describe('detection across runs', () => {
  it('a replay stored without detection is detected on the next run that detects (state catches up from the events)', async () => {
    const two = join(tmp.dir, 'two.duckdb');
    await replayAsync(two, ['fixtures/keyvault'], { detect: false });
    const later = await replayAsync(two, ['fixtures/activity'], { detect: true });
    // One detecting replay of both folders into a fresh database: the one beforeAll made.
    const once = replayed;
    const ids = (s: typeof once) => s.alerts.map((a) => `${a.detector_id} ${a.alert_id}`).sort();
    // The second run reports what it raised, including the alerts over the first run's events.
    const all = JSON.parse((await runCliAsync(['alerts', '--db', two, '--format', 'json'])).stdout) as { detector_id: string; alert_id: string }[];
    expect(all.map((a) => `${a.detector_id} ${a.alert_id}`).sort()).toEqual(ids(once));
    expect(later.alerts.length).toBeGreaterThan(0);
  });
});
