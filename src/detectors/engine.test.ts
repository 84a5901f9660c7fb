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
