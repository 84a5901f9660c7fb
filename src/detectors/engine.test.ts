import { describe, expect, it } from 'vitest';
import type { EventRow } from '../schema/event.js';
import type { AlertRow } from './alert.js';
import { T1530 } from './attack.js';
import { defineDetector, type DetectorInput } from './define.js';
import { createEngine, restoreEngine, type Engine } from './engine.js';
import { alertId } from './incidents.js';
import { detectors } from './index.js';

const T0 = Date.UTC(2025, 10, 10, 12, 0, 0);
const NOW = () => Date.UTC(2025, 11, 1);
let seq = 0;

/** A bare event row: engine tests exercise the engine, not the schemas (the catalogue test does that). */
function ev(over: Partial<EventRow> & { time: number }): EventRow {
  seq++;
  return {
    event_id: `e${seq}`, ingested_at: 0, source: 'test', category: 'Test', operation: 'Read', result: 'success',
    status_code: '200', principal_id: 'p1', principal_name: null, app_id: null, principal_type: 'user', auth_type: 'oauth',
    caller_ip: '10.0.0.1', resource_id: '/r/1', subscription_id: null, resource_group: null, resource_type: null,
    resource_name: null, target: null, role_definition_id: null, bytes_out: null, bytes_in: null, user_agent: null,
    tls_version: null, correlation_id: null, details: {}, raw: '', ...over,
  };
}

const meta = {
  title: 'test', severity: 'low' as const, attack: [T1530], needs: { categories: ['Test'], setting: 'none' },
  description: 'd', remediation: 'r', falsePositives: [],
  cases: [{ name: 'a', fires: true, events: () => [] }, { name: 'b', fires: false, events: () => [] }],
};
const test = (shape: Omit<DetectorInput, keyof typeof meta | 'id'>) => defineDetector({ id: 'storage.engine-test', ...meta, ...shape });

const fiveInAMinute = test({ threshold: { where: () => true, key: (e) => e.principal_id, windowSeconds: 60, atLeast: 5 } });
const engineWith = (...ds: ReturnType<typeof test>[]) => createEngine({ detectors: ds, now: NOW });
const secs = (...s: number[]) => s.map((x) => ev({ time: T0 + x * 1000 }));

describe('sliding event-time windows', () => {
  it('fires when five events fall within any 60 s, across a minute boundary', () => {
    expect(engineWith(fiveInAMinute).process(secs(40, 50, 60, 70, 80))).toHaveLength(1);
  });
  it('stays quiet when no 60 s window holds five', () => {
    expect(engineWith(fiveInAMinute).process(secs(0, 20, 40, 70, 90, 110, 140))).toHaveLength(0);
  });
  it('counts events arriving out of order within the allowed lateness', () => {
    const engine = engineWith(fiveInAMinute);
    expect(engine.process(secs(600, 30, 20, 10))).toHaveLength(0); // 10 min ahead, then late ones
    expect(engine.process(secs(0))).toHaveLength(0);
    expect(engine.process(secs(40))).toHaveLength(1);
  });
  it('drops events later than the allowed lateness from windows, and counts them', () => {
    const engine = engineWith(fiveInAMinute);
    engine.process(secs(3600));
    expect(engine.process(secs(0, 10, 20, 30, 40))).toHaveLength(0);
    expect(engine.stats().late).toBe(5);
  });
  it('sums values (bytes) instead of counting', () => {
    const gb = test({ threshold: { where: () => true, key: (e) => e.principal_id, windowSeconds: 60, atLeast: 1e9, sum: (e) => e.bytes_out ?? 0 } });
    const engine = engineWith(gb);
    expect(engine.process([ev({ time: T0, bytes_out: 6e8 })])).toHaveLength(0);
    const [alert] = engine.process([ev({ time: T0 + 5000, bytes_out: 6e8 })]);
    expect(alert?.evidence.sum).toBe(1.2e9);
  });
});

describe('suppression and ids', () => {
  it('one ongoing burst is one alert, updated with count and last time', () => {
    const engine = engineWith(fiveInAMinute);
    const first = engine.process(secs(0, 1, 2, 3, 4));
    expect(first).toHaveLength(1);
    const rows: AlertRow[] = [];
    for (let i = 5; i < 200; i++) rows.push(...engine.process(secs(i)));
    expect(new Set(rows.map((r) => r.alert_id))).toEqual(new Set([first[0]!.alert_id]));
    const last = rows[rows.length - 1]!;
    expect(last.event_count).toBe(200);
    expect(last.last_event_time).toBe(T0 + 199_000);
    expect((last.evidence.event_ids as string[]).length).toBeLessThanOrEqual(50);
  });
  it('returns only alerts opened or updated by the batch', () => {
    const engine = engineWith(fiveInAMinute);
    engine.process(secs(0, 1, 2, 3, 4));
    expect(engine.process([ev({ time: T0 + 5000, principal_id: 'someone-else' })])).toHaveLength(0);
  });
  it('a new incident after the suppression gap gets a new id', () => {
    const engine = engineWith(fiveInAMinute);
    const a = engine.process(secs(0, 1, 2, 3, 4));
    const b = engine.process(secs(7200, 7201, 7202, 7203, 7204));
    expect(b).toHaveLength(1);
    expect(b[0]!.alert_id).not.toBe(a[0]!.alert_id);
  });
  it('ids are deterministic across engines and derived from detector, key and window', () => {
    const events = secs(0, 1, 2, 3, 4);
    const a = engineWith(fiveInAMinute).process(events);
    const b = engineWith(fiveInAMinute).process(events);
    expect(a).toEqual(b);
    expect(a[0]!.alert_id).toBe(alertId('storage.engine-test', 'p1', T0));
  });
});

describe('bounded state', () => {
  it('a million distinct principals stay under the key cap and a bounded heap', () => {
    const maxKeys = 20_000;
    const engine = createEngine({ detectors, now: NOW, maxKeysPerDetector: maxKeys });
    const before = process.memoryUsage().heapUsed;
    const batch: EventRow[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      const t = T0 + i; // a million principals in ~17 minutes: nothing is stale, only the cap protects us
      batch.push(ev({ time: t, category: i % 2 ? 'AuditEvent' : 'StorageRead', operation: i % 2 ? 'SecretGet' : 'GetBlob', principal_id: `p-${i}`, caller_ip: `198.51.${(i >> 8) & 255}.${i & 255}`, target: `s-${i % 50}`, bytes_out: 1000, resource_id: '/subscriptions/s/resourcegroups/g/providers/microsoft.keyvault/vaults/v' }));
      if (batch.length === 10_000) { engine.process(batch); batch.length = 0; }
    }
    const stats = engine.stats();
    for (const [id, s] of Object.entries(stats.detectors)) {
      // first-seen keeps scopes (cap) and pairs (4 × cap); every other shape one map.
      expect(s.keys, id).toBeLessThanOrEqual(maxKeys * 5);
      expect(s.openIncidents, id).toBeLessThanOrEqual(maxKeys);
    }
    expect(Object.values(stats.detectors).some((s) => s.evicted > 0)).toBe(true);
    globalThis.gc?.();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(400 * 1024 * 1024);
  });

  it('sweeps keys no window needs once event time moves on', () => {
    const engine = engineWith(fiveInAMinute);
    engine.process(Array.from({ length: 1000 }, (_, i) => ev({ time: T0 + i, principal_id: `p-${i}` })));
    expect(engine.stats().detectors['storage.engine-test']!.keys).toBe(1000);
    // Sweeps need both event time (10 min) and volume (20k events) to pass.
    engine.process(Array.from({ length: 25_000 }, (_, i) => ev({ time: T0 + 3 * 3600_000 + i, principal_id: 'steady' })));
    expect(engine.stats().detectors['storage.engine-test']!.keys).toBeLessThan(10);
  });
});

/** Every catalogue case's events, in time order: a small multi-day scenario touching every shape. */
function scenario(): EventRow[] {
  const all: EventRow[] = [];
  for (const d of detectors) for (const c of d.cases) all.push(...(c.history?.() ?? []), ...c.events());
  const unique = new Map(all.map((e) => [e.event_id, e]));
  return [...unique.values()].sort((a, b) => a.time - b.time);
}

function finalAlerts(rows: AlertRow[]): Map<string, AlertRow> {
  const m = new Map<string, AlertRow>();
  for (const r of rows) m.set(r.alert_id, r);
  return m;
}

function runSplit(events: EventRow[], cuts: number[]): Map<string, AlertRow> {
  const rows: AlertRow[] = [];
  let engine: Engine = createEngine({ now: NOW });
  let from = 0;
  for (const cut of [...cuts, events.length]) {
    rows.push(...engine.process(events.slice(from, cut)));
    // Restart: only the snapshot survives.
    engine = restoreEngine(engine.snapshot(), { now: NOW });
    from = cut;
  }
  return finalAlerts(rows);
}

describe('restart', () => {
  it('one run and runs split by snapshot/restore raise identical alerts', () => {
    const events = scenario();
    const once = finalAlerts(createEngine({ now: NOW }).process(events));
    expect(once.size).toBeGreaterThan(10);
    const third = Math.floor(events.length / 3);
    expect(runSplit(events, [third, 2 * third])).toEqual(once);
    expect(runSplit(events, [1, 17, 500, events.length - 3])).toEqual(once);
  });

  it('one event per batch gives the same alerts as one batch', () => {
    const events = scenario();
    const engine = createEngine({ now: NOW });
    const rows: AlertRow[] = [];
    for (const e of events) rows.push(...engine.process([e]));
    expect(finalAlerts(rows)).toEqual(finalAlerts(createEngine({ now: NOW }).process(events)));
  });

  it('a fresh engine snapshots and restores', () => {
    const engine = restoreEngine(createEngine().snapshot());
    expect(engine.process(secs(0))).toEqual([]);
  });

  it('state of a detector whose parameters changed is not reused', () => {
    const engine = engineWith(fiveInAMinute);
    engine.process(secs(0, 1, 2, 3));
    const wider = test({ threshold: { where: () => true, key: (e) => e.principal_id, windowSeconds: 120, atLeast: 5 } });
    const restored = restoreEngine(engine.snapshot(), { detectors: [wider], now: NOW });
    expect(restored.process(secs(5))).toHaveLength(0);
    const same = restoreEngine(engine.snapshot(), { detectors: [fiveInAMinute], now: NOW });
    expect(same.process(secs(5))).toHaveLength(1);
  });

  it('rejects a snapshot that is not one', () => {
    expect(() => restoreEngine('nope')).toThrow(/snapshot/);
    expect(() => restoreEngine('{"v":99}')).toThrow(/version/);
  });
});

describe('sources at their own pace', () => {
  const reading = (categories: string[], shape: Omit<DetectorInput, keyof typeof meta | 'id'>) =>
    defineDetector({ id: 'storage.engine-test', ...meta, needs: { categories, setting: 'none' }, ...shape });
  const inA = fiveInAMinuteOf(['A']);
  const inAB = fiveInAMinuteOf(['A', 'B']);
  function fiveInAMinuteOf(categories: string[]) {
    return reading(categories, { threshold: { where: () => true, key: (e) => e.principal_id, windowSeconds: 60, atLeast: 5 } });
  }
  const at = (category: string, ...s: number[]) => s.map((x) => ev({ time: T0 + x * 1000, category }));

  it('a category the detector does not read running hours ahead leaves its events on time', () => {
    const engine = engineWith(inA);
    engine.process(at('Other', 6 * 3600));
    expect(engine.process(at('A', 0, 10, 20, 30, 40))).toHaveLength(1);
  });

  it('a category the detector reads that lags another by hours is still counted, up to the skew', () => {
    const engine = engineWith(inAB);
    engine.process(at('A', 3 * 3600)); // A's folder first, as replay reads an archive
    expect(engine.process(at('B', 0, 10, 20, 30, 40))).toHaveLength(1);

    const farBehind = engineWith(inAB);
    farBehind.process(at('A', 7 * 3600)); // past the 6 h skew: B's old events no longer hold windows open
    expect(farBehind.process(at('B', 0, 10, 20, 30, 40))).toHaveLength(0);
    expect(farBehind.stats().late).toBe(0); // late for the detector, not for B itself
  });

  it('a category late within its own stream is still late', () => {
    const engine = engineWith(inAB);
    engine.process([...at('A', 3600), ...at('B', 3600)]);
    expect(engine.process(at('B', 0, 10, 20, 30, 40))).toHaveLength(0);
    expect(engine.stats().late).toBe(5);
  });

  it('a restored engine keeps each category\'s pace', () => {
    const engine = engineWith(inAB);
    engine.process([...at('A', 3600), ...at('B', 3600)]);
    const restored = restoreEngine(engine.snapshot(), { detectors: [inAB], now: NOW });
    expect(restored.process(at('B', 0, 10, 20, 30, 40))).toHaveLength(0);
    expect(restored.stats().late).toBe(5);
  });
});

describe('window edges', () => {
  it('a threshold burst just inside its window fires wherever it starts within a pane', () => {
    const fifteenInFive = test({ threshold: { where: () => true, key: (e) => e.principal_id, windowSeconds: 300, atLeast: 15 } });
    for (const start of [0, 5, 9]) {
      const times = Array.from({ length: 15 }, (_, i) => start + (i * 295) / 14);
      expect(engineWith(fifteenInFive).process(secs(...times)), `from +${start} s`).toHaveLength(1);
    }
  });

  it('distinct values exactly a window apart count together', () => {
    const twentyInTen = test({ distinct: { where: () => true, key: (e) => e.principal_id, value: (e) => e.target, windowSeconds: 600, atLeast: 20 } });
    const events = Array.from({ length: 20 }, (_, i) => ev({ time: T0 + Math.round((i * 600_000) / 19), target: `s${i}` }));
    expect(engineWith(twentyInTen).process(events)).toHaveLength(1);
  });
});

describe('first-seen', () => {
  const DAY = 86_400_000;
  const newToVault = test({ firstSeen: { where: () => true, scope: (e) => e.resource_id, value: (e) => e.principal_id, learningDays: 7, forgetDays: 30 } });
  const week = Array.from({ length: 8 }, (_, d) => ev({ time: T0 + d * DAY, principal_id: 'usual' }));

  it('fires for a new principal whose first event arrives later than the allowed lateness', () => {
    const engine = engineWith(newToVault);
    engine.process(week);
    engine.process([ev({ time: T0 + 8 * DAY + 20 * 60_000, principal_id: 'usual' })]);
    const late = engine.process([ev({ time: T0 + 8 * DAY, principal_id: 'intruder' })]); // 20 minutes late
    expect(late.map((a) => a.principal_id)).toEqual(['intruder']);
  });

  it('a backfilled fortnight behind the stream teaches but does not fire', () => {
    const engine = engineWith(newToVault);
    engine.process([ev({ time: T0 + 20 * DAY, principal_id: 'usual' })]); // the stream, live (NOW is a day later)
    const history = Array.from({ length: 15 }, (_, d) => ev({ time: T0 + d * DAY, principal_id: d === 12 ? 'contractor' : 'usual' }));
    expect(engine.process(history)).toEqual([]);
    expect(engine.process([ev({ time: T0 + 20 * DAY + 1000, principal_id: 'contractor' })])).toEqual([]); // seen in the backfill
    expect(engine.process([ev({ time: T0 + 20 * DAY + 2000, principal_id: 'stranger' })]).map((a) => a.principal_id)).toEqual(['stranger']);
  });

  it('pairs evicted under the key cap make their scope learn again rather than fire', () => {
    const engine = createEngine({ detectors: [newToVault], now: NOW, maxKeysPerDetector: 4 });
    const alerts: AlertRow[] = [];
    for (let d = 0; d < 10; d++) {
      alerts.push(...engine.process(Array.from({ length: 20 }, (_, i) => ev({ time: T0 + d * DAY + i * 1000, principal_id: `p${i}` }))));
    }
    expect(alerts).toHaveLength(0);
    expect(engine.stats().detectors['storage.engine-test']!.evicted).toBeGreaterThan(0);
  });
});
