/**
 * The labelled scenario (fixtures/scenarios: seven benign days of the Contoso Research tenant,
 * then a day with 18 attacks) through the real CLI into real DuckDB files: every attack raises an
 * alert from one of its expected detectors that names the right principal (or IP, for SAS and
 * anonymous access) within the attack's time; no medium or high alert on the attack day names a
 * benign principal; and a replay split in two runs (state restored from the database in between)
 * raises exactly the alerts of one run. The demo day (fixtures/demo) shows its three attacks.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectors } from '../src/detectors/index.js';
import { repoRoot } from './support/cli.js';
import { queryJsonAsync, replayAsync, tempDir, type ReplaySummary, type Row } from './support/db.js';

interface Entity { principal_id: string | null; principal_name: string | null; app_id?: string | null; caller_ip: string | null }
interface Attack {
  id: string;
  expectedDetectors: string[];
  entity: Entity;
  mustName?: 'principal_id' | 'caller_ip';
  timeRange: { from: string; to: string };
}
interface Labels {
  days: { file: string; records: number; duplicateBodies: number }[];
  replay: { oneRun: string[]; twoRuns: string[][] };
  attackDay: string;
  attacks: Attack[];
  benignPrincipalsLastDay: { principals: { principal_id: string; principal_name: string; app_id: string | null }[] };
  demo: { attacks: Attack[] };
}
interface Alert {
  alert_id: string; detector_id: string; severity: string;
  principal_id: string | null; principal_name: string | null; app_id: string | null; caller_ip: string | null;
  first_event_time: string; last_event_time: string; event_count: number;
}

const labels = JSON.parse(readFileSync(join(repoRoot, 'fixtures/scenarios/labels.json'), 'utf8')) as Labels;
const ALERTS_SQL = `select alert_id, detector_id, severity, principal_id, principal_name, app_id, caller_ip,
  strftime(first_event_time at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') as first_event_time,
  strftime(last_event_time at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') as last_event_time,
  event_count from alerts order by alert_id`;

const ms = (iso: string) => Date.parse(iso);
const overlaps = (a: Alert, from: string, to: string) => ms(a.first_event_time) <= ms(to) && ms(a.last_event_time) >= ms(from);
const toAlerts = (rows: Row[]) => rows.map((r) => ({ ...r, event_count: Number(r.event_count) }) as Alert);

/** An alert from one of the attack's detectors, naming its principal (or IP) while it happened. */
function catches(a: Alert, attack: Attack): boolean {
  if (!attack.expectedDetectors.includes(a.detector_id) || !overlaps(a, attack.timeRange.from, attack.timeRange.to)) return false;
  const by = attack.mustName ?? (attack.entity.principal_id ? 'principal_id' : 'caller_ip');
  return by === 'principal_id' ? a.principal_id === attack.entity.principal_id : a.caller_ip === attack.entity.caller_ip;
}

const describeAlert = (a: Alert) => `${a.severity} ${a.detector_id} ${a.principal_name ?? a.principal_id ?? a.caller_ip} ${a.first_event_time}..${a.last_event_time}`;

const tmp = tempDir('auditlake-scenarios-');
afterAll(() => tmp.cleanup());
let oneRun: ReplaySummary;
let oneRunAlerts: Alert[];
let twoRunAlerts: Alert[];
let demoRun: ReplaySummary;
let demoAlerts: Alert[];

beforeAll(async () => {
  const one = join(tmp.dir, 'one.duckdb');
  const two = join(tmp.dir, 'two.duckdb');
  const demo = join(tmp.dir, 'demo.duckdb');
  // Three databases, loaded at once: each replay spends much of its time starting up.
  [[oneRun, oneRunAlerts], twoRunAlerts, [demoRun, demoAlerts]] = await Promise.all([
    replayAsync(one, labels.replay.oneRun, { detect: true }).then(async (s) => [s, toAlerts(await queryJsonAsync(one, ALERTS_SQL))] as const),
    (async () => {
      // A restart between the runs: the second process restores detector state from the database.
      for (const paths of labels.replay.twoRuns) await replayAsync(two, paths, { detect: true });
      return toAlerts(await queryJsonAsync(two, ALERTS_SQL));
    })(),
    replayAsync(demo, ['fixtures/demo'], { detect: true }).then(async (s) => [s, toAlerts(await queryJsonAsync(demo, ALERTS_SQL))] as const),
  ]);
});

describe('labelled scenario (fixtures/scenarios)', () => {
  it('is laid out so the days folder replays on its own, with labels.json outside it', () => {
    expect(labels.replay.oneRun).toEqual(['fixtures/scenarios/days']);
    expect(statSync(join(repoRoot, 'fixtures/scenarios/days')).isDirectory()).toBe(true);
    expect(existsSync(join(repoRoot, 'fixtures/scenarios/days/labels.json'))).toBe(false);
    expect(labels.replay.twoRuns.flat()).toEqual(labels.days.map((d) => `fixtures/scenarios/${d.file}`));
  });

  it('labels only detectors that exist, and at least eight attacks across every family', () => {
    const ids = new Set(detectors.map((d) => d.id));
    const unknown = [...labels.attacks, ...labels.demo.attacks].flatMap((a) => a.expectedDetectors.filter((d) => !ids.has(d)).map((d) => `${a.id}: ${d}`));
    expect(unknown).toEqual([]);
    expect(labels.attacks.length).toBeGreaterThanOrEqual(8);
    const families = new Set(labels.attacks.flatMap((a) => a.expectedDetectors.map((d) => d.split('.')[0])));
    expect([...families].sort()).toEqual(['encryption', 'entra', 'governance', 'identity', 'keyvault', 'rbac', 'storage']);
  });

  it('stores every record once (the redelivered body is skipped) and rejects nothing', () => {
    expect(oneRun.rejected).toBe(0);
    expect(oneRun.stored).toBe(labels.days.reduce((n, d) => n + d.records, 0));
    expect(oneRun.duplicates).toBeGreaterThan(0);
  });

  it.each(labels.attacks.map((a) => [a.id, a] as const))('catches attack %s, naming the right principal or IP', (_id, attack) => {
    const hits = oneRunAlerts.filter((a) => catches(a, attack));
    const near = oneRunAlerts.filter((a) => attack.expectedDetectors.includes(a.detector_id)).map(describeAlert);
    expect(hits.length, `no alert from ${attack.expectedDetectors.join(', ')} names ${attack.entity.principal_name ?? attack.entity.caller_ip} in ${attack.timeRange.from}..${attack.timeRange.to}; those detectors raised: ${near.join('; ') || 'nothing'}`).toBeGreaterThan(0);
  });

  it('raises no medium or high alert on the attack day naming a benign principal', () => {
    const day = { from: `${labels.attackDay}T00:00:00.000Z`, to: `${labels.attackDay}T23:59:59.999Z` };
    const benign = labels.benignPrincipalsLastDay.principals;
    const names = (a: Alert) => benign.some((p) => a.principal_id === p.principal_id || (a.principal_name !== null && a.principal_name === p.principal_name) || (p.app_id !== null && a.app_id === p.app_id));
    const noisy = oneRunAlerts.filter((a) => (a.severity === 'medium' || a.severity === 'high') && overlaps(a, day.from, day.to) && names(a));
    expect(noisy.map(describeAlert)).toEqual([]);
  });

  it('raises the same alerts in two runs with a restart in between as in one run', () => {
    const shape = (xs: Alert[]) => xs.map((a) => ({
      alert_id: a.alert_id, detector_id: a.detector_id, event_count: a.event_count, first_event_time: a.first_event_time,
      last_event_time: a.last_event_time, principal_id: a.principal_id, caller_ip: a.caller_ip,
    }));
    expect(oneRunAlerts.length).toBeGreaterThan(labels.attacks.length);
    expect(shape(twoRunAlerts)).toEqual(shape(oneRunAlerts));
  });
});

describe('demo day (fixtures/demo)', () => {
  it('rejects its two deliberate rejects and shows its three attacks among the alerts', () => {
    expect(demoRun.rejected).toBe(2);
    for (const attack of labels.demo.attacks) {
      expect(demoAlerts.filter((a) => catches(a, attack)).length, `demo attack ${attack.id} not caught`).toBeGreaterThan(0);
    }
  });
});
