/** How values read on the page: times in UTC (as the logs and the CLI give them), sizes in binary units. */

/** `2025-11-10 02:39:12` (UTC). */
export function time(iso: string | null | undefined): string {
  if (!iso) return '';
  return iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v.toFixed(0)} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '' : n.toLocaleString('en-US');
}

/** The last segment of an Azure resource id: the vault, account or workspace name. */
export function resourceName(id: string | null | undefined): string {
  if (!id) return '';
  const parts = id.split('/');
  const i = parts.findIndex((p) => p === 'vaults' || p === 'storageaccounts' || p === 'workspaces');
  return i >= 0 && parts[i + 1] ? parts[i + 1]! : (parts.pop() ?? id);
}

/** The account-level id of a resource id (`…/storageaccounts/x/blobservices/default` → `…/storageaccounts/x`). */
export function resourceRoot(id: string): string {
  const m = /^(.*?\/providers\/microsoft\.(keyvault\/vaults|storage\/storageaccounts|machinelearningservices\/workspaces)\/[^/]+)/.exec(id);
  return m ? m[1]! : id;
}

/** `datetime-local` input value (UTC) ⇄ ISO-8601. */
export function toInput(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 16) : '';
}

export function fromInput(value: string): string {
  return value ? `${value}:00Z` : '';
}

export const DAY_MS = 86_400_000;

/** The whole UTC days an alert spans: the window its principal and resource links open with. */
export function dayWindow(firstIso: string, lastIso: string): { from: string; to: string } {
  const from = Math.floor(Date.parse(firstIso) / DAY_MS) * DAY_MS;
  const to = Math.max(from + DAY_MS, Math.ceil(Date.parse(lastIso) / DAY_MS) * DAY_MS);
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}
