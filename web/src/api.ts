/**
 * The console's calls to its server: same origin, the session cookie does the authentication.
 * A busy server (429) is asked again after its Retry-After; a lost session (401) sends the
 * browser to the sign-in page.
 */
import { useEffect, useState } from 'preact/hooks';
import { printableOnPage } from '../../src/schema/printable';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const MAX_BUSY_RETRIES = 20;

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(path, { credentials: 'same-origin', ...init });
    if (res.status === 429 && attempt < MAX_BUSY_RETRIES) {
      const seconds = Number(res.headers.get('retry-after') ?? '1');
      await new Promise((r) => setTimeout(r, Math.min(5, Number.isFinite(seconds) ? seconds : 1) * 1000 * (0.5 + Math.random())));
      continue;
    }
    if (res.status === 401) {
      // The session cookie is gone (or the server has a new token): the page itself now answers with the sign-in form.
      window.location.assign('/');
      throw new ApiError(401, 'signed out');
    }
    if (!res.ok) {
      let message = `HTTP ${res.status}`;
      try {
        message = ((await res.json()) as { error?: string }).error ?? message;
      } catch { /* not JSON */ }
      throw new ApiError(res.status, message);
    }
    return res;
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return readJson<T>(await request(path, signal ? { signal } : {}));
}

/**
 * An answer's JSON, every text as the page should show it: logged text can hold bidi overrides
 * that make one name read as another, and controls that show as nothing (printable.ts).
 */
export async function readJson<T>(res: Response): Promise<T> {
  return JSON.parse(await res.text(), (_key, value: unknown) => (typeof value === 'string' ? printableOnPage(value) : value)) as T;
}

export function apiPath(path: string, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
}

/** GETs `path` (again whenever it changes); an answer to an older path is dropped. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: path !== null });
  useEffect(() => {
    if (path === null) return setState({ loading: false });
    const abort = new AbortController();
    setState((s) => ({ data: s.data, loading: true }));
    getJson<T>(path, abort.signal).then(
      (data) => setState({ data, loading: false }),
      (err: unknown) => {
        if (!abort.signal.aborted) setState({ error: err instanceof Error ? err.message : String(err), loading: false });
      },
    );
    return () => abort.abort();
  }, [path]);
  return state;
}

// The shapes the server's views answer with (src/server/console/*.ts).

export type Severity = 'informational' | 'low' | 'medium' | 'high';

export interface AlertRow {
  alert_id: string;
  severity: Severity;
  detector_id: string;
  title: string;
  principal_id: string | null;
  principal_name: string | null;
  caller_ip: string | null;
  resource_id: string | null;
  first_event_time: string;
  last_event_time: string;
  event_count: number;
  /** Set on an alert a detector exception kept apart: the exception's reason. */
  suppressed_by?: string;
}

export interface AlertList {
  alerts: AlertRow[];
  total: number;
  offset: number;
  pageRows: number;
  detectors: { detector_id: string; alerts: number }[];
  /** Alerts detector exceptions kept apart, in all. */
  suppressed: number;
}

export interface EventRow {
  time: string;
  operation: string;
  result: string;
  category?: string;
  family?: string;
  role?: 'actor' | 'subject';
  principal_id?: string | null;
  principal_name?: string | null;
  principal_type?: string | null;
  auth_type: string | null;
  caller_ip: string | null;
  resource_name: string | null;
  resource_id: string | null;
  resource_type?: string | null;
  target: string | null;
  role_name?: string | null;
  bytes_out: number | null;
  user_agent?: string | null;
  event_id: string;
}

export interface AlertDetail {
  alert: AlertRow & {
    app_id: string | null;
    time_generated: string;
    tactics: string[];
    techniques: string[];
    evidence: Record<string, unknown>;
    description: string;
    remediation: string;
  };
  evidenceEventIds: number;
  events: EventRow[];
  related: AlertRow[];
  detector: {
    id: string;
    title: string;
    family: string;
    techniques: { id: string; name: string; tactics: string[] }[];
    falsePositives: string[];
    setting: string;
  } | null;
  /** The detectors.exceptions entry (YAML) that would keep alerts like it apart. */
  exception: string;
}

export interface HourPoint {
  hour: string;
  events: number;
  bytes_out: number;
  baseline_events: number | null;
  baseline_bytes_out: number | null;
}

export interface Hourly {
  points: HourPoint[];
  baseline_days: number;
}

export interface ViewWindow {
  from: string;
  to: string;
  baseline_from: string;
}

export interface Used {
  events: number;
  bytes_out: number;
  first_seen: string;
  last_seen: string;
  is_new: boolean;
}

export interface PrincipalView {
  principal: {
    query: string;
    kind: 'principal' | 'ip';
    ids: string[];
    names: string[];
    principal_type: string | null;
    first_seen: string;
    last_seen: string;
  };
  window: ViewWindow;
  families: { family: string; events: number; failures: number }[];
  hourly: Hourly;
  ips: (Used & { caller_ip: string })[];
  resources: (Used & { resource_id: string; resource_name: string | null; resource_type: string | null })[];
  timeline: { rows: EventRow[]; total: number; offset: number; pageRows: number };
}

export interface ResourceSummary {
  resource_id: string;
  resource_name: string;
  resource_type: string;
  events: number;
  bytes_out: number;
  first_seen: string;
  last_seen: string;
}

export interface ResourceView {
  resource: { resource_id: string; resource_name: string; resource_type: string; events: number; first_seen: string; last_seen: string };
  window: ViewWindow;
  hourly: Hourly;
  callers: (Used & { caller: string; principal_name: string | null; principal_id: string | null; principal_type: string | null; auth_types: string[] | null; ips: number; failures: number })[];
  operations: { operation: string; auth_type: string | null; events: number; failures: number; bytes_out: number; callers: number }[];
  targets: { target: string; events: number; bytes_out: number; callers: number; operations: string[] }[];
}

export interface SavedQuery {
  name: string;
  description: string;
  params: { name: string; default?: string }[];
  sql: string;
}

export interface SqlResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  truncated: boolean;
}
