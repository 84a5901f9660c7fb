/**
 * The order `replay` reads files in. Azure's diagnostic-settings archive keeps one folder per
 * category (`insights-logs-auditevent/`, `insights-logs-storageread/`, …) and, under each, one
 * file per hour (`…/y=2025/m=11/d=14/h=05/m=00/PT1H.json`). In name order a whole archive is
 * one category's every hour, then the next category's: the detectors that join categories
 * (a secret read, then a storage download) would see the second category as hours late, its
 * windows long closed. Read hour by hour, the categories interleave as they happened.
 */

/** `y=YYYY/m=MM/d=DD/h=HH`, optionally followed by `/m=MM`, as path segments (either slash). */
const ARCHIVE_HOUR = /(?:^|[\\/])y=(\d{4})[\\/]m=(\d{1,2})[\\/]d=(\d{1,2})[\\/]h=(\d{1,2})(?:[\\/]m=(\d{1,2}))?(?=[\\/]|$)/;

/** `YYYYMMDDHHMM` for a path in the archive layout, else null. */
export function archiveHour(path: string): string | null {
  const m = ARCHIVE_HOUR.exec(path);
  if (!m) return null;
  const [, y, mo, d, h, mi] = m;
  return y! + [mo, d, h, mi ?? '0'].map((p) => p!.padStart(2, '0')).join('');
}

/**
 * Files in the archive layout by hour, then by path (so within an hour the categories come in
 * name order); files outside it keep the order they were listed in (each folder walked in name
 * order) and come first: they carry no time to place them by, and putting them first keeps
 * the order of a replay with no archive files exactly as before. Pure and deterministic.
 */
export function replayOrder(files: readonly string[]): string[] {
  const plain: string[] = [];
  const hourly: { path: string; hour: string }[] = [];
  for (const path of files) {
    const hour = archiveHour(path);
    if (hour === null) plain.push(path);
    else hourly.push({ path, hour });
  }
  // Code-unit comparison rather than localeCompare: the same order on every machine and locale.
  hourly.sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return [...plain, ...hourly.map((f) => f.path)];
}
