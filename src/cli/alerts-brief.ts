/** The short alert list `replay` and `demo` print after their summary. */
import type { AlertRow } from '../detectors/alert.js';
import { printable } from '../schema/printable.js';

/** The start of an alert_id the list shows: enough for `auditlake alerts show` to tell alerts apart. */
export const SHORT_ID = 8;

const ORDER = { high: 0, medium: 1, low: 2, informational: 3 } as const;

export function printAlertsBrief(alerts: AlertRow[], suppressed: AlertRow[] = []): void {
  if (suppressed.length > 0) {
    const byReason = new Map<string, number>();
    for (const a of suppressed) byReason.set(a.suppressed_by!, (byReason.get(a.suppressed_by!) ?? 0) + 1);
    process.stdout.write(`Alerts suppressed by detectors.exceptions (kept, sent nowhere; auditlake alerts --suppressed lists them): ${suppressed.length}\n`);
    for (const [reason, n] of byReason) process.stdout.write(`  ${String(n).padStart(6)}  ${printable(reason)}\n`);
  }
  if (alerts.length === 0) {
    process.stdout.write('No alerts raised.\n');
    return;
  }
  const sorted = briefOrder(alerts);
  process.stdout.write(`Alerts raised or updated: ${alerts.length}\n`);
  for (const a of sorted) {
    const who = a.principal_name ?? a.principal_id ?? a.caller_ip ?? 'unknown principal';
    const when = new Date(a.first_event_time).toISOString().replace('.000Z', 'Z');
    process.stdout.write(`  ${a.alert_id.slice(0, SHORT_ID)}  ${a.severity.padEnd(13)} ${a.detector_id.padEnd(34)} ${printable(who)}  (${a.event_count} ${a.event_count === 1 ? 'event' : 'events'} from ${when})\n`);
  }
}

/** Most severe first, then by when their activity began. */
export function briefOrder(alerts: AlertRow[]): AlertRow[] {
  return [...alerts].sort((a, b) => ORDER[a.severity] - ORDER[b.severity] || a.first_event_time - b.first_event_time);
}
