/**
 * Small, pure helpers every family uses to turn Azure's many spellings into one.
 * Each tolerates the quirks seen in the wild (DESIGN.md §4) and returns null rather than guessing.
 */
import type { AuthType, PrincipalType, Result } from './event.js';
import { mayHoldSurrogate, withoutLoneSurrogates } from './surrogates.js';

const US_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(AM|PM)?$/i;

/**
 * Numeric times: epoch seconds below 1e11, epoch milliseconds from it on. 1e11 seconds is the
 * year 5138 and 1e11 ms is March 1973, before any Azure log, so no plausible time is read
 * both ways; Unix tools write seconds (1700000000), JavaScript and .NET exports milliseconds.
 * Either way the result must fall between 2000 and 2200, or the number is refused rather than
 * stored as 1970 or as a year DuckDB cannot hold.
 */
const EPOCH_SECONDS_BELOW = 1e11;
const NUMERIC_TIME_MIN = Date.UTC(2000, 0, 1);
const NUMERIC_TIME_MAX = Date.UTC(2200, 0, 1);

/**
 * ISO-8601 (with or without zone; no zone means UTC, as Azure means it), US-style
 * `11/14/2025 1:48:53 AM`, or epoch seconds / milliseconds (above). Epoch ms, or null for
 * what is not a time, including dates that do not exist (`2025-02-30`, `2/29/2025`), which
 * Date.UTC and Date.parse would otherwise roll into the next month.
 */
export function parseTime(value: unknown): number | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    const ms = Math.abs(value) < EPOCH_SECONDS_BELOW ? value * 1000 : value;
    return ms >= NUMERIC_TIME_MIN && ms < NUMERIC_TIME_MAX ? ms : null;
  }
  if (typeof value !== 'string' || value.length === 0) return null;
  const us = US_TIME.exec(value.trim());
  if (us) {
    const [, mo, d, y, h, mi, s, frac, ampm] = us;
    let hour = Number(h);
    // Date.UTC rolls 13/14/2025 over into the next year; a day-first date must not pass as US-style.
    if (!isDate(Number(y), Number(mo), Number(d)) || Number(mi) > 59 || Number(s ?? 0) > 59) return null;
    if (ampm ? hour < 1 || hour > 12 : hour > 23) return null;
    if (ampm) {
      const pm = ampm.toUpperCase() === 'PM';
      if (hour === 12) hour = pm ? 12 : 0;
      else if (pm) hour += 12;
    }
    const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
    const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), hour, Number(mi), Number(s ?? 0), ms);
    return Number.isFinite(t) ? t : null;
  }
  // Azure writes 7 fractional digits and sometimes no zone; Date.parse wants at most 3 and reads no zone as local.
  const m = /^((\d{4})-(\d{2})-(\d{2}))[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(value.trim());
  if (!m) return null;
  const [, date, y, mo, d, clock, frac, zone] = m;
  if (!isDate(Number(y), Number(mo), Number(d))) return null;
  const ms = frac ? `.${frac.slice(0, 3).padEnd(3, '0')}` : '';
  const t = Date.parse(`${date}T${clock}${ms}${zone ?? 'Z'}`);
  return Number.isFinite(t) ? t : null;
}

/** Whether year-month-day names a day of the calendar (from year 1, month 1–12, day within that month). */
export function isDate(y: number, mo: number, d: number): boolean {
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** Event times the store can hold: JavaScript's Date range (±8.64e15 ms), inside DuckDB's TIMESTAMPTZ. */
export function isStorableTime(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;
}

/**
 * Whether a number fits a BIGINT column (−2^63 … 2^63−1). Past it DuckDB's cast fails, and
 * with it the batch; `num()` reads `"1e30"` as a finite number, so callers storing one check.
 */
export function fitsInt64(n: number): boolean {
  return Number.isFinite(n) && n >= -(2 ** 63) && n < 2 ** 63;
}

/** `1.2.3.4:5678` → `1.2.3.4`; `[::1]:443` → `::1`; bare IPv6 kept; `<Redacted>` and empty → null. */
export function stripPort(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (v === '' || v.startsWith('<')) return null;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(v);
  if (bracketed) return bracketed[1]!;
  const colons = v.split(':').length - 1;
  if (colons === 1) return v.slice(0, v.indexOf(':'));
  return v;
}

/** `Success`/`Succeeded`/`OK` → success; `Failure`/`Failed` → failure; `Start`/`Started` → start. */
export function normalizeResult(value: unknown): Result {
  if (typeof value !== 'string') return 'unknown';
  const v = value.trim().toLowerCase();
  if (v === '' ) return 'unknown';
  if (v.startsWith('succe') || v === 'ok' || v === 'success' || v === 'created' || v === 'accepted.created') return 'success';
  if (v.startsWith('fail') || v === 'error' || v === 'denied' || v === 'unauthorized' || v === 'forbidden') return 'failure';
  if (v.startsWith('start')) return 'start';
  if (v.startsWith('accept')) return 'accepted';
  return 'unknown';
}

/** Storage `identity.type` and friends: `SAS Key`→sas, `Account Key`→accountkey, `OAuth`→oauth. */
export function normalizeAuthType(value: unknown): AuthType | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const v = value.replace(/[\s_-]/g, '').toLowerCase();
  if (v === 'oauth' || v === 'bearer' || v === 'aad') return 'oauth';
  if (v === 'sas' || v === 'saskey' || v === 'delegationsas' || v === 'userdelegationsas') return 'sas';
  if (v === 'accountkey' || v === 'sharedkey' || v === 'key') return 'accountkey';
  if (v === 'anonymous') return 'anonymous';
  if (v === 'kerberos') return 'kerberos';
  if (v === 'certificate' || v === 'clientcertificate') return 'certificate';
  return 'unknown';
}

/** Entra/ARM principal type spellings → the four we keep. */
export function normalizePrincipalType(value: unknown): PrincipalType {
  if (typeof value !== 'string') return 'unknown';
  const v = value.replace(/[\s_-]/g, '').toLowerCase();
  if (v === 'user' || v === 'member' || v === 'guest') return 'user';
  if (v === 'serviceprincipal' || v === 'application' || v === 'app') return 'servicePrincipal';
  if (v === 'managedidentity' || v === 'msi' || v === 'managedserviceidentity') return 'managedIdentity';
  return 'unknown';
}

export interface ResourceParts {
  resource_id: string | null;
  subscription_id: string | null;
  resource_group: string | null;
  resource_type: string | null;
  resource_name: string | null;
}

/**
 * Lower-cases an ARM id and splits it. The type is the provider plus every type segment
 * (`microsoft.storage/storageaccounts/blobservices`); the name is the first resource's name
 * (the account, the vault), since that is what investigations group by.
 */
const NO_RESOURCE: ResourceParts = Object.freeze({ resource_id: null, subscription_id: null, resource_group: null, resource_type: null, resource_name: null });
/** A tenant's records name few resources many times: remember the last few thousand splits. */
const splitCache = new Map<string, ResourceParts>();
const SPLIT_CACHE_SIZE = 4096;

export function splitResourceId(value: unknown): ResourceParts {
  if (typeof value !== 'string') return NO_RESOURCE;
  const cached = splitCache.get(value);
  if (cached) return cached;
  const parts = splitUncached(value);
  if (splitCache.size >= SPLIT_CACHE_SIZE) splitCache.clear();
  splitCache.set(value, parts);
  return parts;
}

function splitUncached(value: string): ResourceParts {
  if (value.trim() === '') return NO_RESOURCE;
  const id = value.trim().toLowerCase().replace(/\/+$/, '');
  const parts = id.split('/').filter((p) => p.length > 0);
  let subscription: string | null = null;
  let group: string | null = null;
  let type: string | null = null;
  let name: string | null = null;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === 'subscriptions' && subscription === null) subscription = parts[i + 1] ?? null;
    else if (p === 'resourcegroups' && group === null) group = parts[i + 1] ?? null;
    else if (p === 'providers' && i + 1 < parts.length) {
      // Last provider wins: nested ids (roleAssignments under a vault) name the innermost resource.
      const segs = parts.slice(i + 1);
      const provider = segs[0]!;
      const types: string[] = [];
      for (let j = 1; j < segs.length; j += 2) types.push(segs[j]!);
      type = [provider, ...types].join('/');
      name = segs[2] ?? null;
    }
  }
  if (type === null && group !== null) { type = 'resourcegroups'; name = group; }
  else if (type === null && subscription !== null) { type = 'subscriptions'; name = subscription; }
  return { resource_id: id, subscription_id: subscription, resource_group: group, resource_type: type, resource_name: name };
}

/**
 * JSON that Azure sometimes sends as a string, sometimes single-quoted (`{'a': 'b'}`).
 * Returns the parsed value, or undefined when it is not JSON at all. A lone surrogate the
 * nested JSON spells (`\ud800`) comes back as U+FFFD, as in the record around it (surrogates.ts).
 */
export function parseLooseJson(text: string): unknown {
  const value = parseLooseJsonAsIs(text);
  return mayHoldSurrogate(text) ? withoutLoneSurrogates(value) : value;
}

function parseLooseJsonAsIs(text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  // `{'a': 1}` fails JSON.parse every time: convert first rather than pay for the exception.
  if (t.charCodeAt(1) === 39 || t.charCodeAt(0) === 39) {
    try {
      return JSON.parse(singleToDoubleQuotes(t));
    } catch { /* not single-quoted JSON after all: try it as is */ }
  }
  try {
    return JSON.parse(t);
  } catch {
    if (!t.includes("'")) return undefined;
    try {
      return JSON.parse(singleToDoubleQuotes(t));
    } catch {
      return undefined;
    }
  }
}

/** Swaps quote styles outside/inside strings so `{'a': 'it"s'}` becomes valid JSON. */
function singleToDoubleQuotes(t: string): string {
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (quote === null) {
      if (c === "'" || c === '"') { quote = c; out += '"'; } else out += c;
    } else if (c === '\\' && i + 1 < t.length) {
      const n = t[i + 1]!;
      out += n === "'" ? "'" : c + n;
      i++;
    } else if (c === quote) { quote = null; out += '"'; }
    else if (c === '"') out += '\\"';
    else out += c;
  }
  return out;
}

/**
 * Non-empty trimmed string or null. A number JSON.parse made infinite (`1e400`) is null, not
 * 'Infinity': that is not what the record wrote, and `raw` keeps what it did.
 */
export function str(value: unknown): string | null {
  if (typeof value === 'string') {
    const t = value.trim();
    return t === '' ? null : t;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return String(value);
  return null;
}

/** A finite number from a number or numeric string, else null (`durationMs` is a string in Key Vault). */
export function num(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** Case-insensitive property read: Azure spells `principalId` and `PrincipalId` both. */
export function pick(obj: unknown, ...keys: string[]): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const rec = obj as Record<string, unknown>;
  for (const k of keys) if (rec[k] !== undefined) return rec[k];
  // Hot path on every activity record: no allocation unless a key of the right length appears.
  for (const k in rec) {
    for (const want of keys) {
      if (k.length === want.length && k.toLowerCase() === want.toLowerCase()) return rec[k];
    }
  }
  return undefined;
}

/** The role GUID at the end of a roleDefinitionId path (or the bare GUID), lower-case, dashed. */
export function roleGuid(value: unknown): string | null {
  const s = str(value);
  if (s === null) return null;
  const last = s.split('/').pop()!.toLowerCase();
  const hex = last.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
