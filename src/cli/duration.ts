/** `--since 24h` / `7d` / `30m` / an ISO-8601 time → epoch ms. */
import { AuditlakeError } from '../errors.js';
import { parseTime } from '../schema/fields.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseSince(value: string, now = Date.now()): number {
  const rel = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(value.trim());
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!.toLowerCase()]!;
  const abs = parseTime(value);
  if (abs !== null) return abs;
  throw new AuditlakeError('bad_argument', `--since ${value}: expected a duration like 30m, 24h, 7d, or an ISO-8601 time`);
}

/** `--retain 90d` / `--slice 6h` / `12w` → milliseconds (a positive duration, never a point in time). */
export function parseDuration(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(value.trim());
  if (!m || Number(m[1]) <= 0) throw new AuditlakeError('bad_argument', `${flag} ${value}: expected a duration like 90d, 12w, 6h or 30m`);
  return Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
}
