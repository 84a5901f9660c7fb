/**
 * A detector is a value: metadata (what it finds, how bad, ATT&CK, what logs it needs, how to
 * respond), exactly one shape the engine runs, and its own cases. `defineDetector` validates it
 * once at import so a typo fails the catalogue test, not a production batch.
 */
import { AuditlakeError } from '../errors.js';
import type { EventRow } from '../schema/event.js';
import type { AlertRow, Severity } from './alert.js';
import { tacticsOf, type Tactic, type Technique } from './attack.js';

export const DETECTOR_FAMILIES = ['keyvault', 'rbac', 'entra', 'storage', 'identity', 'governance', 'encryption'] as const;
export type DetectorFamily = (typeof DETECTOR_FAMILIES)[number];

export type Predicate = (e: EventRow) => boolean;
/** Returns the key, or null when the event has nothing to key on (it is then skipped). */
export type KeyOf = (e: EventRow) => string | null;

/** Fire only above `factor` × the key's own peak on the previous `days` (quiets nightly jobs). */
export interface PeakBaseline { days: number; factor: number }

export interface MatchShape {
  where: Predicate;
  /** Incident key; default: principal (or IP) and resource. */
  key?: KeyOf;
  /** Hits for one key closer than this join one alert. Default 3600. */
  suppressSeconds?: number;
  /** Facts for the evidence (the latest hit's win). */
  facts?: (e: EventRow) => Record<string, string | number | boolean | null>;
}
export interface ThresholdShape {
  where: Predicate;
  key: KeyOf;
  windowSeconds: number;
  /** Fire when the window's count (or `sum`) reaches this. */
  atLeast: number;
  /** Sum this per event instead of counting (e.g. bytes). */
  sum?: (e: EventRow) => number;
  peakBaseline?: PeakBaseline;
  suppressSeconds?: number;
}
export interface DistinctShape {
  where: Predicate;
  key: KeyOf;
  /** The thing counted distinctly per key (secret, blob). */
  value: KeyOf;
  windowSeconds: number;
  atLeast: number;
  peakBaseline?: PeakBaseline;
  suppressSeconds?: number;
}
export interface FirstSeenShape {
  where: Predicate;
  /** What history is kept for (vault, principal, account). */
  scope: KeyOf;
  /** What must have been seen before in that scope (principal, IP, auth type). */
  value: KeyOf;
  /** Do not fire while the scope has less than this much event-time history. */
  learningDays: number;
  /** A pair unseen this long is new again. */
  forgetDays: number;
  /** Learn from every matching event, alert only on these (e.g. only non-OAuth auth types). */
  alertOn?: Predicate;
  /** Events of the new pair within this long after it appeared join its alert. Default 3600. */
  suppressSeconds?: number;
}
export interface SequenceShape {
  /** One function for both steps: it may read different fields per source (activity vs storage). */
  key: KeyOf;
  first: Predicate;
  then: Predicate;
  thenCount: number;
  windowSeconds: number;
  peakBaseline?: PeakBaseline;
  /** Which step names the alert's principal/IP. Default 'first' (who listed, who got the keys). */
  entityFrom?: 'first' | 'then';
  suppressSeconds?: number;
}
export interface DeviationShape {
  where: Predicate;
  key: KeyOf;
  value: (e: EventRow) => number;
  bucketSeconds: number;
  /** Buckets of history the baseline uses (missing buckets count as 0). */
  baselineBuckets: number;
  /** Below this much history for the key: learning, never fire. */
  minBaselineBuckets: number;
  /** Fire above max(floor, mean + k·stddev, ratio·mean). */
  k: number;
  ratio: number;
  floor: number;
}

export type Shape =
  | { kind: 'match'; spec: MatchShape }
  | { kind: 'threshold'; spec: ThresholdShape }
  | { kind: 'distinct'; spec: DistinctShape }
  | { kind: 'firstSeen'; spec: FirstSeenShape }
  | { kind: 'sequence'; spec: SequenceShape }
  | { kind: 'deviation'; spec: DeviationShape };
type ShapeFields = { match: MatchShape; threshold: ThresholdShape; distinct: DistinctShape; firstSeen: FirstSeenShape; sequence: SequenceShape; deviation: DeviationShape };
const SHAPE_KINDS = ['match', 'threshold', 'distinct', 'firstSeen', 'sequence', 'deviation'] as const;

/** What an alert names. */
export type AlertEntity = Pick<AlertRow, 'principal_id' | 'principal_name' | 'app_id' | 'caller_ip' | 'resource_id'>;

export interface DetectorCase {
  name: string;
  fires: boolean;
  /** Built lazily (through the real schema) so importing the catalogue costs nothing. */
  events: () => EventRow[];
  /** Fed first to build baselines; alerts it raises do not count for the case. */
  history?: () => EventRow[];
  /** Checked on the case's alerts when it fires. */
  expect?: Partial<AlertEntity> & { alerts?: number };
}

export interface Needs {
  /** Categories as Azure spells them; the engine routes events by these. */
  categories: readonly string[];
  /** The diagnostic setting (or export) to enable, in one sentence. */
  setting: string;
}

interface DetectorBase {
  id: string;
  title: string;
  severity: Severity;
  attack: readonly Technique[];
  needs: Needs;
  description: string;
  remediation: string;
  falsePositives: readonly string[];
  /** Known noise, dropped before the shape sees the event. */
  exclude?: Predicate;
  /** Overrides what the alert names (default: the event's principal, IP and resource). */
  entity?: (e: EventRow) => Partial<AlertEntity>;
  cases: readonly DetectorCase[];
}

export type DetectorInput = DetectorBase & { [K in keyof ShapeFields]?: ShapeFields[K] };

export interface Detector extends DetectorBase {
  family: DetectorFamily;
  tactics: readonly Tactic[];
  shape: Shape;
}

const ID = /^([a-z]+)\.[a-z0-9]+(?:-[a-z0-9]+)*$/;

function invalid(id: string, what: string): never {
  throw new AuditlakeError('bad_config', `detector ${id || '(no id)'}: ${what}`);
}

function positive(id: string, spec: object, ...names: string[]): void {
  for (const n of names) {
    const v = (spec as Record<string, unknown>)[n];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) invalid(id, `${n} must be a positive number, got ${String(v)}`);
  }
}

export function defineDetector(input: DetectorInput): Detector {
  const { id } = input;
  const m = ID.exec(id);
  if (!m) invalid(id, 'id must be <family>.<kebab-name>');
  const family = m[1] as DetectorFamily;
  if (!DETECTOR_FAMILIES.includes(family)) invalid(id, `family must be one of ${DETECTOR_FAMILIES.join(', ')}`);
  const kinds = SHAPE_KINDS.filter((k) => input[k] !== undefined);
  if (kinds.length !== 1) invalid(id, `exactly one shape expected (${SHAPE_KINDS.join(', ')}), got ${kinds.length}`);
  const kind = kinds[0]!;
  const spec = input[kind]!;
  positive(id, spec, 'windowSeconds', 'atLeast', 'thenCount', 'learningDays', 'forgetDays', 'bucketSeconds', 'baselineBuckets', 'minBaselineBuckets', 'suppressSeconds', 'k', 'ratio', 'floor');
  if (input.attack.length === 0) invalid(id, 'at least one ATT&CK technique expected');
  if (input.needs.categories.length === 0) invalid(id, 'needs.categories is empty');
  if (!input.cases.some((c) => c.fires) || !input.cases.some((c) => !c.fires)) invalid(id, 'needs at least one case that fires and one that stays quiet');
  const detector: Detector = { ...input, family, tactics: tacticsOf(input.attack), shape: { kind, spec } as Shape };
  for (const k of SHAPE_KINDS) delete (detector as unknown as Record<string, unknown>)[k];
  return Object.freeze(detector);
}

/** Whether an id is what `entry` names: the id itself, a family prefix `rbac.`, or a family `rbac`. */
export function detectorMatcher(entry: string): (id: string) => boolean {
  const prefix = entry.endsWith('.') ? entry : entry.includes('.') ? undefined : `${entry}.`;
  return (id) => id === entry || (prefix !== undefined && id.startsWith(prefix));
}
