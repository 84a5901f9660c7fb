/**
 * A reject's reason is read in a terminal (replay's summary, `auditlake query`) and grouped by
 * its text: the parts of it that come from the input must not write escape sequences there,
 * break its line, or fill a page. The input itself stays as received in `rejects.raw`.
 */

/** C0 and C1 controls, DEL, line and paragraph separators, and bidirectional overrides. */
const UNPRINTABLE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNPRINTABLE_ALL = new RegExp(UNPRINTABLE.source, 'g');

/** The text with what a terminal would act on written as `\uXXXX` escapes. */
export function printable(text: string): string {
  return UNPRINTABLE.test(text) ? text.replace(UNPRINTABLE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
}

/** Longer than this, a name from the input is cut in a reason. */
const MAX_NAME = 100;

/**
 * A category (or another name from the input) as a reason quotes it: as given when it reads as
 * a name, else in JSON quotes, escaped and cut (`"\u001b[2J…"`), so the field the reason goes on
 * to name stays in sight.
 */
export function nameInReason(name: string): string {
  if (name.length <= MAX_NAME && name.trim() !== '' && !UNPRINTABLE.test(name)) return name;
  const cut = name.length > MAX_NAME ? `${name.slice(0, 60)}…` : name;
  return printable(JSON.stringify(cut));
}
