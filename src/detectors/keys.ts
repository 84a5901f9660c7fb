/** Keys and filters the detectors share, so every family names a principal, an account, a scanner the same way. */
import type { EventRow } from '../schema/event.js';

/** Azure Resource Graph and Policy Insights read every vault and account on a schedule: noise for access detectors. */
export const BACKGROUND_SCANNER_APP_IDS: ReadonlySet<string> = new Set([
  '509e4652-da8d-478d-a730-e9d4a1996ca4', // Azure Resource Graph
  '1d78a85d-813d-46f0-b496-dd72f50a3ec0', // Policy Insights
]);

export function isBackgroundScanner(e: EventRow): boolean {
  return e.app_id !== null && BACKGROUND_SCANNER_APP_IDS.has(e.app_id);
}

/** Who acted: the Entra object id, else the app id; null for SAS/anonymous/key callers. */
export function principalOf(e: EventRow): string | null {
  return e.principal_id ?? e.app_id;
}

/** The principal, or for callers without one (SAS, account key, anonymous) their IP. */
export function principalOrIp(e: EventRow): string | null {
  const p = principalOf(e);
  if (p !== null) return p;
  return e.caller_ip === null ? null : `ip:${e.caller_ip}`;
}

const ACCOUNT_PREFIX = /^(.*\/providers\/microsoft\.storage\/storageaccounts\/[^/]+)/;

/**
 * The storage account's ARM id, from the account itself (activity log: listKeys) or any child
 * (storage logs name `.../storageaccounts/NAME/blobservices/default`). Resource ids are
 * lower-case in events, so the two sides join on this.
 */
export function storageAccountId(e: EventRow): string | null {
  if (e.resource_id === null) return null;
  return ACCOUNT_PREFIX.exec(e.resource_id)?.[1] ?? null;
}

/** Storage account name of a storage-log event. */
export function storageAccountName(e: EventRow): string | null {
  const name = e.details.account_name;
  return typeof name === 'string' ? name : e.resource_name;
}

/** RFC 1918, loopback, link-local, CGNAT and IPv6 ULA/link-local: addresses that never leave a private network. */
export function isPrivateIp(ip: string): boolean {
  if (ip.includes(':')) {
    const v = ip.toLowerCase();
    return v === '::1' || v.startsWith('fc') || v.startsWith('fd') || v.startsWith('fe80');
  }
  const parts = ip.split('.').map(Number);
  const [a, b] = [parts[0] ?? -1, parts[1] ?? -1];
  return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}

/**
 * The Activity log's administrative records: `Administrative` as Event Hubs and the REST API
 * name them, or the HTTP verb (`Write`, `Delete`, `Action`) its storage-account shape names instead.
 */
export const ADMINISTRATIVE_CATEGORIES = ['Administrative', 'Write', 'Delete', 'Action'] as const;
const ADMINISTRATIVE: ReadonlySet<string> = new Set(ADMINISTRATIVE_CATEGORIES);

export function isAdministrative(e: EventRow): boolean {
  return ADMINISTRATIVE.has(e.category);
}

/** Activity-log operations arrive upper-case (Event Hubs) or mixed-case (REST export). */
export function activityOperation(e: EventRow): string {
  return e.operation.toUpperCase();
}
