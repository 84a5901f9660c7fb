/**
 * Suppression: one ongoing incident is one alert, updated in place (event count, last event time,
 * evidence), never hundreds. An incident is keyed by detector + shape key; its alert_id is a hash
 * of the detector, the key and the start of the window that first fired, so the same evidence
 * replayed (in one run or across a restart) yields the same id.
 */
import { hash } from 'node:crypto';
import type { EventRow } from '../schema/event.js';
import type { AlertRow } from './alert.js';
import type { AlertEntity, Detector } from './define.js';
import { BoundedMap, pushCapped } from './state.js';

export const MAX_EVIDENCE_IDS = 50;

export type Facts = Record<string, string | number | boolean | null | readonly string[]>;

export interface FireOptions {
  /** Events in the firing window (event_count starts here, not at 1). */
  count?: number;
  /** Earliest event of the firing window. */
  firstEventMs?: number;
  /** Ids of the events that led up to the hit. */
  recentIds?: readonly string[];
  /** Who the alert names when it is not the hit's own event (the first step of a sequence). */
  subject?: AlertEntity;
}

interface Incident {
  alert_id: string;
  first: number;
  last: number;
  count: number;
  entity: AlertEntity;
  ids: string[];
  facts: Facts;
}

export function alertId(detectorId: string, key: string, windowStartMs: number): string {
  return hash('sha256', `${detectorId}\u0000${key}\u0000${windowStartMs}`, 'hex').slice(0, 32);
}

export function entityOf(e: EventRow): AlertEntity {
  return { principal_id: e.principal_id, principal_name: e.principal_name, app_id: e.app_id, caller_ip: e.caller_ip, resource_id: e.resource_id };
}

export class Incidents {
  private open: BoundedMap<Incident>;
  /** Alerts touched since the last `drain`, in first-touch order. */
  private dirty = new Map<string, Incident>();

  constructor(private readonly detector: Detector, private readonly suppressMs: number, maxKeys: number) {
    this.open = new BoundedMap(maxKeys);
  }

  /** Opens an incident, or updates the open one when this hit is within the suppression gap. */
  fire(key: string, e: EventRow, windowStartMs: number, facts: Facts, opts?: FireOptions): void {
    const inc = this.open.get(key);
    if (inc !== undefined && e.time <= inc.last + this.suppressMs && e.time >= inc.first - this.suppressMs) {
      this.update(inc, e, facts);
      return;
    }
    const entity = { ...(opts?.subject ?? entityOf(e)), ...this.detector.entity?.(e) };
    const ids: string[] = [];
    if (opts?.recentIds) for (const id of opts.recentIds) pushCapped(ids, id, MAX_EVIDENCE_IDS);
    pushCapped(ids, e.event_id, MAX_EVIDENCE_IDS);
    const first = Math.min(e.time, opts?.firstEventMs ?? e.time);
    const created: Incident = { alert_id: alertId(this.detector.id, key, windowStartMs), first, last: e.time, count: Math.max(1, opts?.count ?? ids.length), entity, ids, facts: { ...facts } };
    this.open.set(key, created);
    this.dirty.set(created.alert_id, created);
  }

  /** Updates an open incident only (an event that continues it but could not open one). */
  extend(key: string, e: EventRow, facts?: Facts): boolean {
    const inc = this.open.peek(key);
    if (inc === undefined || e.time > inc.last + this.suppressMs || e.time < inc.first - this.suppressMs) return false;
    this.open.get(key); // mark as recently used
    this.update(inc, e, facts);
    return true;
  }

  private update(inc: Incident, e: EventRow, facts?: Facts): void {
    inc.count++;
    if (e.time > inc.last) inc.last = e.time;
    if (e.time < inc.first) inc.first = e.time;
    pushCapped(inc.ids, e.event_id, MAX_EVIDENCE_IDS);
    if (facts) Object.assign(inc.facts, facts);
    this.dirty.set(inc.alert_id, inc);
  }

  drain(nowMs: number, out: AlertRow[]): void {
    for (const inc of this.dirty.values()) out.push(this.row(inc, nowMs));
    this.dirty.clear();
  }

  /** Closed incidents (no hit within the gap, and the watermark past it) are forgotten. */
  sweep(watermarkMs: number): void {
    this.open.sweep((inc) => inc.last + this.suppressMs < watermarkMs);
  }

  get size(): number { return this.open.size; }
  toJSON(): unknown { return this.open.toJSON(); }
  load(state: unknown): void { this.open.load(state); }

  private row(inc: Incident, nowMs: number): AlertRow {
    const d = this.detector;
    return {
      alert_id: inc.alert_id,
      detector_id: d.id,
      title: d.title,
      severity: d.severity,
      tactics: d.tactics.map((t) => t.name),
      techniques: d.attack.map((t) => t.id),
      time_generated: nowMs,
      first_event_time: inc.first,
      last_event_time: inc.last,
      ...inc.entity,
      event_count: inc.count,
      evidence: { ...inc.facts, event_ids: [...inc.ids] },
      description: d.description,
      remediation: d.remediation,
    };
  }
}
