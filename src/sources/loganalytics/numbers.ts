/**
 * Numbers in JSON cells that a JavaScript number cannot hold as written: `1e400` (JSON.parse
 * reads it as Infinity, which JSON.stringify writes as `null`), `1e-400` (read as 0),
 * `9007199254740993` (read as ...992). On the Event Hubs path such a record is stored with its
 * text as it came (`raw` keeps `1e400`; the fields read it as JSON.parse does), so a backfilled
 * row must reach the decoder with the same text, not one rewritten by a parse and a stringify.
 *
 * parseJson reads JSON text keeping each such number as a marker string (a private-use
 * character, a per-process nonce, the number's text), which recordText writes back as the bare
 * number when the record is serialized. Text with no number long enough to be at risk (16 digits,
 * or a 3-digit exponent) is parsed as it is, by JSON.parse alone.
 */
import { randomBytes } from 'node:crypto';

const MARK = `\uE000auditlake-number-${randomBytes(6).toString('hex')}:`;
const MARKED = new RegExp(`"${MARK}(-?[0-9][0-9.eE+-]*)"`, 'g');

/**
 * Only text holding one of these can hold a number a double does not keep: 16+ significant digits
 * (16 digits, a point among them or not), or an exponent of 3 digits (Infinity, 0). Costs about
 * half a JSON.parse of the same text (GUIDs and times do not match it).
 */
const AT_RISK = /[0-9.]{16}|[eE][+-]?[0-9]{3}/;
/** Whether text may hold a number parseJson keeps (false: it holds none). */
export const atRisk = (text: string): boolean => AT_RISK.test(text);

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** `-1.2300e+5` → `-123e3`: sign, significant digits and exponent, to compare a number's text with what a double makes of it. */
function significand(text: string): string {
  const m = /^(-?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  if (!m) return text;
  let digits = `${m[2]}${m[3] ?? ''}`.replace(/^0+/, '');
  if (digits === '') return `${m[1]}0`;
  let exponent = BigInt(m[4] ?? 0) - BigInt(m[3]?.length ?? 0);
  const zeros = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - zeros);
  exponent += BigInt(zeros);
  return `${m[1]}${digits}e${exponent}`;
}

/** Whether JSON.parse then JSON.stringify would write this number other than it is (beyond Infinity, 0, or its digits). */
export function changedByParse(numberText: string): boolean {
  const n = Number(numberText);
  return !Number.isFinite(n) || significand(numberText) !== significand(String(n));
}

/** JSON text with each number a double cannot hold replaced by a marker string; `null` when there is none. */
function marked(text: string): string | null {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      continue;
    }
    if (c !== 0x2d /* - */ && (c < 0x30 || c > 0x39)) continue;
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) continue;
    if (changedByParse(m[0])) {
      out += `${text.slice(from, i)}"${MARK}${m[0]}"`;
      from = i + m[0].length;
    }
    i += m[0].length - 1;
  }
  return from === 0 ? null : out + text.slice(from);
}

/**
 * JSON.parse, keeping numbers a double cannot hold as written for recordText. Throws as
 * JSON.parse does (with its message) on text that is not JSON.
 */
export function parseJson(text: string): unknown {
  const value = JSON.parse(text) as unknown;
  if (!atRisk(text)) return value;
  const kept = marked(text);
  return kept === null ? value : JSON.parse(kept) as unknown;
}

/** Whether a value is a number parseJson kept as its text. */
export function isKeptNumber(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith(MARK);
}

/** JSON.stringify, writing the numbers parseJson kept as they were written. */
export function recordText(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes(MARK) ? text.replace(MARKED, '$1') : text;
}

/**
 * The first number in a value already parsed (the SDK parses `dynamic` cells) that `test` picks,
 * with its path in the value (`a.b[2]`, '' for the value itself; built only for the one found).
 * Null when there is none.
 */
export function findNumber(value: unknown, test: (n: number) => boolean, depth = 0): { path: string; value: number } | null {
  if (typeof value === 'number') return test(value) ? { path: '', value } : null;
  if (value === null || typeof value !== 'object' || depth > 1000) return null;
  const within = (head: string, found: { path: string; value: number }) =>
    ({ path: found.path === '' || found.path.startsWith('[') ? head + found.path : `${head}.${found.path}`, value: found.value });
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNumber(value[i], test, depth + 1);
      if (found !== null) return within(`[${i}]`, found);
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const found = findNumber(v, test, depth + 1);
    if (found !== null) return within(k, found);
  }
  return null;
}

/** A number JSON cannot carry (Infinity: beyond a double's range, its text gone), as findNumber finds it. */
export const nonFinite = (value: unknown) => findNumber(value, (n) => !Number.isFinite(n));
