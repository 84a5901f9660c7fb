/**
 * Detector exceptions (`detectors.exceptions` in auditlake.yaml): what an analyst decided is
 * expected — the deployment pipeline that reads every secret nightly, the workspace identity
 * that lists storage keys every six hours — said once, with why, instead of dismissed at every
 * alert. An exception names a detector (or a family) and at least one of the alert's principal,
 * resource or caller address; switching a detector off for everyone is `detectors.disabled`.
 *
 * A matching alert is not dropped: it is stored in `suppressed_alerts` with the exception's
 * reason (`auditlake alerts --suppressed`), and goes to no sink. `expires` ends an exception
 * for activity after it, so a temporary allowance does not silently become permanent.
 */
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { parseSince } from '../cli/duration.js';
import { detectorMatcher } from './define.js';
import { AuditlakeError, errorMessage } from '../errors.js';
import type { AlertRow } from './alert.js';

export const exceptionSchema = z.strictObject({
  /** A detector id, a family prefix (`keyvault.`) or a family (`keyvault`). */
  detector: z.string().min(1),
  /** The alert's principal: its object id, name (UPN) or app id, in any case. */
  principal: z.string().min(1).optional(),
  /** The alert's resource id, or a scope above it (`/subscriptions/…/resourceGroups/rg-ml`), in any case. */
  resource: z.string().min(1).optional(),
  /** The alert's caller address, or a CIDR range holding it (`10.20.0.0/16`). */
  callerIp: z.string().min(1).optional(),
  /** Why this is expected: stored with every alert it suppresses. */
  reason: z.string().trim().min(1),
  /** Activity after this no longer matches: a date (through its end, UTC) or an ISO-8601 time. */
  expires: z.string().min(1).optional(),
});

export type ExceptionEntry = z.infer<typeof exceptionSchema>;

/** Decides, for an alert, which exception (if any) suppresses it: its reason, as stored. */
export type ExceptionMatcher = (alert: AlertRow) => string | undefined;

interface Compiled {
  matchesDetector: (id: string) => boolean;
  principal?: string;
  resource?: string;
  addresses?: BlockList;
  expiresMs?: number;
  reason: string;
}

/**
 * Checks each entry against the catalogue's ids and compiles it; an entry that could never
 * match (a misspelt detector, no scope, an address that is none) is refused naming its field,
 * since it would otherwise leave alerts raised that its author meant to quiet.
 */
export function compileExceptions(entries: readonly ExceptionEntry[], detectorIds: readonly string[], where = 'config'): ExceptionMatcher {
  const compiled = entries.map((e, i) => compile(e, detectorIds, `${where}: detectors.exceptions[${i}]`));
  return (alert) => compiled.find((c) => matches(c, alert))?.reason;
}

function compile(e: ExceptionEntry, detectorIds: readonly string[], at: string): Compiled {
  const matchesDetector = detectorMatcher(e.detector);
  if (!detectorIds.some(matchesDetector)) {
    throw new AuditlakeError('bad_config', `${at}.detector: '${e.detector}' matches no detector (expected an id from auditlake detectors list, or a family)`);
  }
  if (e.principal === undefined && e.resource === undefined && e.callerIp === undefined) {
    throw new AuditlakeError('bad_config', `${at}: give principal, resource or callerIp (or more): an exception for everyone is detectors.disabled`);
  }
  return {
    matchesDetector,
    reason: e.reason.trim(),
    ...(e.principal !== undefined ? { principal: e.principal.trim().toLowerCase() } : {}),
    ...(e.resource !== undefined ? { resource: e.resource.trim().toLowerCase().replace(/\/+$/, '') } : {}),
    ...(e.callerIp !== undefined ? { addresses: addressRange(e.callerIp, `${at}.callerIp`) } : {}),
    ...(e.expires !== undefined ? { expiresMs: expiry(e.expires, `${at}.expires`) } : {}),
  };
}

function matches(c: Compiled, a: AlertRow): boolean {
  if (!c.matchesDetector(a.detector_id)) return false;
  if (c.expiresMs !== undefined && a.last_event_time >= c.expiresMs) return false;
  if (c.principal !== undefined && ![a.principal_id, a.principal_name, a.app_id].some((v) => v?.toLowerCase() === c.principal)) return false;
  if (c.resource !== undefined) {
    const id = a.resource_id?.toLowerCase();
    if (!id || (id !== c.resource && !id.startsWith(`${c.resource}/`))) return false;
  }
  if (c.addresses !== undefined) {
    const ip = a.caller_ip;
    const family = ip ? isIP(ip) : 0;
    if (!ip || family === 0 || !c.addresses.check(ip, family === 4 ? 'ipv4' : 'ipv6')) return false;
  }
  return true;
}

/** An address or a CIDR range, as a BlockList that holds it. */
function addressRange(text: string, at: string): BlockList {
  const [address, bits, extra] = text.trim().split('/');
  const family = isIP(address ?? '');
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
    throw new AuditlakeError('bad_config', `${at}: '${text}' is not an address or a CIDR range (expected e.g. 203.0.113.7, 10.20.0.0/16 or 2001:db8::/32)`);
  }
  const list = new BlockList();
  list.addSubnet(address!, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return list;
}

/** A date means through its end (UTC), as `--until` reads one; an ISO-8601 time is that instant. */
function expiry(text: string, at: string): number {
  // A duration would count from whenever the config is read: a moving end is no end.
  if (/^\d+(?:\.\d+)?\s*[smhdw]$/i.test(text.trim())) {
    throw new AuditlakeError('bad_config', `${at}: '${text}' is a duration; expected a date (2026-06-30, through its end) or an ISO-8601 time`);
  }
  try {
    return parseSince(text, Date.now(), { flag: at, date: 'end' });
  } catch (err) {
    throw new AuditlakeError('bad_config', errorMessage(err), { cause: err });
  }
}

/**
 * Entries whose `expires` has passed, said by a live consumer at start (replayed history is
 * judged by its own times): an allowance that ran out is either to extend or to remove.
 */
export function expiredExceptions(entries: readonly ExceptionEntry[], now = Date.now()): string[] {
  return entries.flatMap((e, i) => (e.expires !== undefined && expiry(e.expires, `detectors.exceptions[${i}].expires`) <= now
    ? [`detectors.exceptions[${i}] (${e.reason}) expired ${e.expires}: new activity it matched is alerted again; extend or remove it.`]
    : []));
}

/** The alerts, each marked with the reason of the exception that suppresses it, if one does. */
export function markSuppressed(alerts: AlertRow[], matcher: ExceptionMatcher): AlertRow[] {
  return alerts.map((a) => {
    const reason = matcher(a);
    return reason === undefined ? a : { ...a, suppressed_by: reason };
  });
}

/**
 * The `detectors.exceptions` entry that would keep this alert's like apart: its detector, its
 * principal by object id when it has one (the name the console shows an id-only principal by
 * comes from Entra's logs, and the detector never sees it), else its name or caller address, and
 * its resource — as narrow as the alert, for the analyst to widen. Values are JSON strings,
 * which YAML reads as they are; the reason is left to say.
 */
export function exceptionFor(row: AlertRow | Readonly<Record<string, unknown>>, name?: string): string {
  const alert = row as Readonly<Record<string, unknown>>; // an AlertRow, or the detail view's row of it
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const principalId = text(alert.principal_id);
  const principal = principalId ?? text(alert.principal_name);
  const lines = [`- detector: ${JSON.stringify(String(alert.detector_id))}`];
  if (principal) lines.push(`  principal: ${JSON.stringify(principal)}${principalId && name ? `   # ${JSON.stringify(name).slice(1, -1)}` : ''}`);
  else if (text(alert.caller_ip)) lines.push(`  callerIp: ${JSON.stringify(text(alert.caller_ip))}`);
  if (text(alert.resource_id)) lines.push(`  resource: ${JSON.stringify(text(alert.resource_id))}`);
  lines.push('  reason: "TODO: why this is expected (a change or ticket id helps)"');
  return `${lines.join('\n')}\n`;
}
