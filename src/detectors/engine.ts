/**
 * The streaming detection engine. The pipeline feeds it each stored batch; it returns the alerts
 * that batch opened or updated (the store upserts by alert_id). Synchronous and deterministic:
 * events are processed in the order given, one at a time, so the same events in the same order
 * give the same alerts however they are split into batches or across a snapshot/restore.
 *
 * Time is event time. Each category keeps its own newest event time, because sources run at
 * their own pace: one Event Hub drains a backlog while another is live, and `replay` reads a
 * category's folder before the next. A detector's watermark is the newest time of the slowest
 * category it reads (one that lags the others by more than `maxSourceSkewMs` stops holding it
 * back, so a rare category cannot keep every window open), less the allowed lateness. Events
 * before it open no window; they still teach baselines, and a first-seen pair still fires
 * unless the event is history (`maxAlertLatenessMs` behind the watermark: a backfill of an
 * earlier month into a store the stream has moved past).
 */
import { AuditlakeError, errorMessage } from '../errors.js';
import type { EventRow } from '../schema/event.js';
import type { AlertRow } from './alert.js';
import type { Detector, Shape } from './define.js';
import { detectors as catalogue } from './index.js';
import { Incidents } from './incidents.js';
import { deviationRunner } from './shapes/deviation.js';
import { distinctRunner } from './shapes/distinct.js';
import { firstSeenRunner } from './shapes/first-seen.js';
import { matchRunner } from './shapes/match.js';
import type { RunnerLimits, ShapeContext, ShapeRunner } from './shapes/runner.js';
import { sequenceRunner } from './shapes/sequence.js';
import { thresholdRunner } from './shapes/threshold.js';

export interface EngineOptions {
  /** Default: the whole catalogue. */
  detectors?: readonly Detector[];
  /** Wall clock for `time_generated` and the future-skew guard. Default Date.now. */
  now?: () => number;
  /** How late an event may be and still count in windows. Default 15 minutes. */
  allowedLatenessMs?: number;
  /** How far one category a detector reads may run ahead of another before the lagging one's events count as late. Default 6 hours. */
  maxSourceSkewMs?: number;
  /** A first-seen pair this far behind the watermark is history: it teaches but does not fire. Default 1 day. */
  maxAlertLatenessMs?: number;
  /** Keys any one detector may hold (per state map). Default 50,000. */
  maxKeysPerDetector?: number;
  /** Events dated further than this past `now` do not move the watermark (a bad clock must not close every window). Default 1 day. */
  maxFutureSkewMs?: number;
}

export interface DetectorStats { keys: number; evicted: number; openIncidents: number }
export interface EngineStats {
  events: number;
  /** Events older than their category's newest event − the allowed lateness when they arrived. */
  late: number;
  /** The newest event time of any category − the allowed lateness. */
  watermarkMs: number;
  detectors: Record<string, DetectorStats>;
}

export interface Engine {
  process(events: readonly EventRow[]): AlertRow[];
  /** The whole state as JSON; `restoreEngine` continues exactly where this left off. */
  snapshot(): string;
  stats(): EngineStats;
}

/** A category's newest event time (one per lower-cased name, shared by every spelling of it). */
interface Pace { newest: number }

interface Slot {
  detector: Detector; runner: ShapeRunner; incidents: Incidents; fingerprint: string;
  /** The paces of the categories it reads. */
  paces: Pace[];
  watermarkMs: number;
}

/** A category as events spell it, routed once: its pace and the detectors reading it. */
interface Route { pace: Pace; slots: Slot[] }

interface Snapshot {
  v: 1;
  maxEventMs: number;
  /** Newest event time per lower-cased category (absent from snapshots before it was kept). */
  newest?: Record<string, number>;
  nextSweepMs: number;
  lastSweepEvents: number;
  events: number;
  late: number;
  detectors: Record<string, { fingerprint: string; state: unknown; incidents: unknown }>;
}

const SNAPSHOT_VERSION = 1;
const MINUTE_MS = 60_000;
const SWEEP_EVERY_MS = 10 * MINUTE_MS;
/** A sweep walks every key: at replay speed event time flies, so also wait for this many events. */
const SWEEP_MIN_EVENTS = 20_000;

function suppressMsOf(shape: Shape): number {
  switch (shape.kind) {
    case 'deviation': return shape.spec.bucketSeconds * 1000;
    case 'threshold': case 'distinct': case 'sequence': return (shape.spec.suppressSeconds ?? Math.max(shape.spec.windowSeconds, 3600)) * 1000;
    default: return (shape.spec.suppressSeconds ?? 3600) * 1000;
  }
}

function runnerFor(shape: Shape, incidents: Incidents, limits: RunnerLimits): ShapeRunner {
  switch (shape.kind) {
    case 'match': return matchRunner(shape.spec, incidents);
    case 'threshold': return thresholdRunner(shape.spec, incidents, limits);
    case 'distinct': return distinctRunner(shape.spec, incidents, limits);
    case 'firstSeen': return firstSeenRunner(shape.spec, incidents, limits);
    case 'sequence': return sequenceRunner(shape.spec, incidents, limits);
    case 'deviation': return deviationRunner(shape.spec, incidents, limits);
  }
}

/** The shape's parameters (functions drop out of JSON): a snapshot from other parameters is not reused. */
function fingerprintOf(shape: Shape): string {
  return `${shape.kind}:${JSON.stringify(shape.spec)}`;
}

export function createEngine(options: EngineOptions = {}): Engine {
  return build(options, null);
}

export function restoreEngine(snapshot: string, options: EngineOptions = {}): Engine {
  let parsed: Snapshot;
  try {
    parsed = JSON.parse(snapshot) as Snapshot;
  } catch (cause) {
    throw new AuditlakeError('bad_input', `detector snapshot: expected JSON (${errorMessage(cause)})`, { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.v !== SNAPSHOT_VERSION) {
    throw new AuditlakeError('bad_input', `detector snapshot: expected version ${SNAPSHOT_VERSION}, got ${String((parsed as { v?: unknown } | null)?.v)}`);
  }
  return build(options, parsed);
}

function build(options: EngineOptions, restored: Snapshot | null): Engine {
  const now = options.now ?? Date.now;
  const latenessMs = options.allowedLatenessMs ?? 15 * MINUTE_MS;
  const sourceSkewMs = options.maxSourceSkewMs ?? 6 * 60 * MINUTE_MS;
  const alertLatenessMs = options.maxAlertLatenessMs ?? 24 * 60 * MINUTE_MS;
  const futureSkewMs = options.maxFutureSkewMs ?? 86_400_000;
  const limits: RunnerLimits = { maxKeys: options.maxKeysPerDetector ?? 50_000 };

  const paces = new Map<string, Pace>();
  const paceOf = (category: string): Pace => {
    let p = paces.get(category);
    if (p === undefined) { p = { newest: -Infinity }; paces.set(category, p); }
    return p;
  };

  const slots: Slot[] = (options.detectors ?? catalogue).map((detector) => {
    const incidents = new Incidents(detector, suppressMsOf(detector.shape), limits.maxKeys);
    const own = [...new Set(detector.needs.categories.map((c) => c.toLowerCase()))].map(paceOf);
    return { detector, incidents, runner: runnerFor(detector.shape, incidents, limits), fingerprint: fingerprintOf(detector.shape), paces: own, watermarkMs: -Infinity };
  });

  // Routing by category, memoised per spelling seen: most events concern no detector at all.
  const byPace = new Map<Pace, Slot[]>();
  for (const slot of slots) {
    for (const pace of slot.paces) {
      const list = byPace.get(pace) ?? [];
      list.push(slot);
      byPace.set(pace, list);
    }
  }
  const routes = new Map<string, Route>();
  const routeOf = (spelling: string): Route => {
    let r = routes.get(spelling);
    if (r === undefined) {
      const pace = paceOf(spelling.toLowerCase());
      r = { pace, slots: byPace.get(pace) ?? [] };
      routes.set(spelling, r);
    }
    return r;
  };

  /** The slowest of its categories seen so far, unless it lags the fastest by more than the skew. */
  function updateWatermark(slot: Slot): void {
    let slowest = Infinity, fastest = -Infinity;
    for (const { newest: t } of slot.paces) {
      if (t === -Infinity) continue;
      if (t < slowest) slowest = t;
      if (t > fastest) fastest = t;
    }
    slot.watermarkMs = fastest === -Infinity ? -Infinity : Math.max(slowest, fastest - sourceSkewMs) - latenessMs;
  }

  let maxEventMs = -Infinity;
  let nextSweepMs = -Infinity;
  let events = 0;
  let lastSweepEvents = 0;
  let late = 0;
  if (restored !== null) {
    maxEventMs = restored.maxEventMs ?? -Infinity;
    nextSweepMs = restored.nextSweepMs ?? -Infinity;
    events = restored.events ?? 0;
    lastSweepEvents = restored.lastSweepEvents ?? 0;
    late = restored.late ?? 0;
    for (const [c, t] of Object.entries(restored.newest ?? {})) if (typeof t === 'number') paceOf(c).newest = t;
    for (const slot of slots) {
      const saved = restored.detectors?.[slot.detector.id];
      // Changed parameters (a wider window, another learning period): start that detector afresh.
      if (saved === undefined || saved.fingerprint !== slot.fingerprint) continue;
      slot.runner.load(saved.state);
      slot.incidents.load(saved.incidents);
    }
  }
  for (const slot of slots) updateWatermark(slot);
  const ctx: ShapeContext = { watermarkMs: -Infinity, tooLate: false, history: false };

  function sweep(): void {
    for (const slot of slots) {
      slot.runner.sweep(slot.watermarkMs);
      slot.incidents.sweep(slot.watermarkMs);
    }
  }

  return {
    process(batch) {
      const futureLimitMs = now() + futureSkewMs;
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i]!;
        events++;
        const route = routeOf(e.category);
        const targets = route.slots;
        // A bad clock (an event dated past the skew guard) must not close every window.
        if (e.time <= futureLimitMs) {
          if (e.time > route.pace.newest) {
            route.pace.newest = e.time;
            for (let j = 0; j < targets.length; j++) updateWatermark(targets[j]!);
          }
          if (e.time > maxEventMs) {
            maxEventMs = e.time;
            // Sweeps are driven by event time, never by batch ends, so batching cannot change state.
            if (maxEventMs - latenessMs >= nextSweepMs && events - lastSweepEvents >= SWEEP_MIN_EVENTS) {
              sweep();
              lastSweepEvents = events;
              nextSweepMs = maxEventMs - latenessMs + SWEEP_EVERY_MS;
            }
          }
        }
        if (e.time < route.pace.newest - latenessMs) late++;
        for (let j = 0; j < targets.length; j++) {
          const slot = targets[j]!;
          if (slot.detector.exclude?.(e)) continue;
          ctx.watermarkMs = slot.watermarkMs;
          ctx.tooLate = e.time < slot.watermarkMs;
          ctx.history = e.time < slot.watermarkMs - alertLatenessMs;
          slot.runner.onEvent(e, ctx);
        }
      }
      const out: AlertRow[] = [];
      const generatedMs = now();
      for (const slot of slots) slot.incidents.drain(generatedMs, out);
      return out;
    },

    snapshot() {
      const snap: Snapshot = { v: SNAPSHOT_VERSION, maxEventMs, newest: Object.fromEntries([...paces].filter(([, p]) => p.newest !== -Infinity).map(([c, p]) => [c, p.newest])), nextSweepMs, lastSweepEvents, events, late, detectors: {} };
      for (const slot of slots) {
        snap.detectors[slot.detector.id] = { fingerprint: slot.fingerprint, state: slot.runner.save(), incidents: slot.incidents.toJSON() };
      }
      // -Infinity is not JSON: a fresh engine stores null and restores to -Infinity above.
      return JSON.stringify(snap, (_k, v: unknown) => (v === -Infinity ? null : v));
    },

    stats() {
      const detectors: Record<string, DetectorStats> = {};
      for (const s of slots) detectors[s.detector.id] = { keys: s.runner.keyCount, evicted: s.runner.evicted, openIncidents: s.incidents.size };
      return { events, late, watermarkMs: maxEventMs - latenessMs, detectors };
    },
  };
}
