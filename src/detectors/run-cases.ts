/**
 * Runs a detector's own cases through a fresh engine holding only that detector. Used by the
 * catalogue test (`npm test`) and `auditlake detectors test`.
 */
import type { AlertRow } from './alert.js';
import type { Detector, DetectorCase } from './define.js';
import { createEngine } from './engine.js';

export interface CaseResult {
  detector: string;
  name: string;
  passed: boolean;
  /** Why it failed, in one sentence; empty when it passed. */
  message: string;
  /** Final state of each alert raised (last update wins). */
  alerts: AlertRow[];
}

/** A fixed clock: case alerts are reproducible to the byte. */
const CASE_NOW_MS = Date.UTC(2025, 11, 1);

export function runCase(detector: Detector, c: DetectorCase): CaseResult {
  const result = (passed: boolean, message: string, alerts: AlertRow[]): CaseResult => ({ detector: detector.id, name: c.name, passed, message, alerts });
  let alerts: AlertRow[];
  try {
    const engine = createEngine({ detectors: [detector], now: () => CASE_NOW_MS });
    if (c.history) engine.process(c.history());
    const latest = new Map<string, AlertRow>();
    for (const a of engine.process(c.events())) latest.set(a.alert_id, a);
    alerts = [...latest.values()];
  } catch (err) {
    return result(false, `threw: ${err instanceof Error ? err.message : String(err)}`, []);
  }
  const fired = alerts.length > 0;
  if (fired !== c.fires) {
    return result(false, c.fires ? 'expected an alert, got none' : `expected no alert, got ${alerts.length}: ${alerts.map((a) => JSON.stringify(a.evidence)).join('; ')}`, alerts);
  }
  const { alerts: expectedCount, ...fields } = c.expect ?? {};
  if (expectedCount !== undefined && alerts.length !== expectedCount) return result(false, `expected ${expectedCount} alert(s), got ${alerts.length}`, alerts);
  for (const [field, want] of Object.entries(fields)) {
    const got = alerts.map((a) => a[field as keyof AlertRow]);
    if (!got.includes(want as never)) return result(false, `expected an alert with ${field} = ${JSON.stringify(want)}, got ${JSON.stringify(got)}`, alerts);
  }
  return result(true, '', alerts);
}

export function runCases(detector: Detector): CaseResult[] {
  return detector.cases.map((c) => runCase(detector, c));
}
