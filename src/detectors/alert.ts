/** The `alerts` row (DESIGN.md §3). Delivery state per sink lives in its own table (later issue). */
export type Severity = 'informational' | 'low' | 'medium' | 'high';

export interface AlertRow {
  /** Deterministic: same detector + same incident key + same first window ⇒ same id. */
  alert_id: string;
  detector_id: string;
  title: string;
  severity: Severity;
  tactics: string[];
  techniques: string[];
  /** Epoch ms when the alert was (last) raised or updated. */
  time_generated: number;
  first_event_time: number;
  last_event_time: number;
  principal_id: string | null;
  principal_name: string | null;
  app_id: string | null;
  caller_ip: string | null;
  resource_id: string | null;
  event_count: number;
  /** JSON-serialisable: contributing event ids (capped) and the facts that made it fire. */
  evidence: Record<string, unknown>;
  description: string;
  remediation: string;
  /** The reason of the `detectors.exceptions` entry that suppresses it: then stored in `suppressed_alerts`, sent nowhere. */
  suppressed_by?: string;
}
