/**
 * Logged text reaches an analyst's terminal, and much of it is chosen by whoever wrote the log
 * (a failed sign-in's user name, an app's display name, a user agent, a blob path): what auditlake
 * prints must not let it write escape sequences there (retitle the window, clear the screen,
 * hide a line, set the clipboard), break a line, or reorder text with bidi overrides.
 *
 * A reject's reason is also grouped by its text, so the parts of it that come from the input are
 * escaped and cut where the reason is made. The input itself stays as received in `rejects.raw`,
 * and a record's in `events.raw`.
 */

/** DEL, C1 controls, line and paragraph separators, and bidirectional overrides and isolates. */
const BEYOND_C0 = '\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';

/** Escapes, as `\uXXXX`, the characters of one class: a terminal's, JSON text's or a page's. */
function escaper(chars: string): (text: string) => string {
  const any = new RegExp(`[${chars}]`);
  const all = new RegExp(`[${chars}]`, 'g');
  return (text) => (any.test(text) ? text.replace(all, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text);
}

/** The text with what a terminal would act on (C0 too) written as `\uXXXX` escapes. */
export const printable = escaper(`\\x00-\\x1f${BEYOND_C0}`);

/**
 * `printable` for a web page (the console): a browser acts on no escape sequence, but a bidi
 * override still reorders the text it is in (a name can read as another), and controls show as
 * nothing; tab, newline and CR stay (a saved query's SQL keeps its lines).
 */
export const printableOnPage = escaper(`\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f${BEYOND_C0}`);

/**
 * JSON text (JSON.stringify's) with DEL, C1 controls, separators and bidi overrides escaped too
 * (JSON.stringify escapes C0 itself): the same values once parsed, and nothing a terminal acts
 * on when it is printed. Outside strings JSON text holds none of them, so only strings change.
 */
export const printableJson = escaper(BEYOND_C0);

/** `printable`, line by line: a report's own line breaks stay. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

/** Longer than this, a name from the input is cut in a reason. */
const MAX_NAME = 100;

/**
 * A category (or another name from the input) as a reason quotes it: as given when it reads as
 * a name, else in JSON quotes, escaped and cut (`"\u001b[2J…"`), so the field the reason goes on
 * to name stays in sight.
 */
export function nameInReason(name: string): string {
  if (name.length <= MAX_NAME && name.trim() !== '' && printable(name) === name) return name;
  const cut = name.length > MAX_NAME ? `${name.slice(0, 60)}…` : name;
  return printable(JSON.stringify(cut));
}
