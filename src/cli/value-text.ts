/**
 * How query output shows the types whose JS form says too little or too much: a DATE as its day
 * (not midnight UTC of it), a TIME as its clock and an INTERVAL as DuckDB writes them (not
 * microseconds, not `{months, days, micros}`), a FLOAT at its own precision (0.1, not the
 * double 0.10000000149011612), and (plain(), for every value) a BLOB as DuckDB's escaped text
 * rather than its bytes as an object. Answers
 * read locally and through a server (whose JSON carries these as plain numbers, objects and
 * times) come out alike; every other type passes as it is.
 */

const MICROS_PER_SECOND = 1_000_000;

/** The function output passes a column's non-null values through, or undefined for types shown as they are. */
export function shownAs(type: string): ((value: unknown) => unknown) | undefined {
  switch (type) {
    case 'DATE': return (v) => (v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString().slice(0, 10) : v);
    case 'TIME': return (v) => (typeof v === 'bigint' || typeof v === 'number' ? clock(Number(v)) : v);
    case 'INTERVAL': return (v) => (isInterval(v) ? intervalText(v) : v);
    case 'FLOAT': return (v) => (typeof v === 'number' ? float32(v) : v);
    default: return undefined;
  }
}

/** DuckDB's text of a BLOB: printable ASCII as it is, every other byte (and `\`) as `\xHH`. */
export function blobText(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += b >= 0x20 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`;
  return text;
}

interface Interval { months: number | bigint; days: number | bigint; micros: number | bigint }

function isInterval(v: unknown): v is Interval {
  return v !== null && typeof v === 'object' && 'months' in v && 'days' in v && 'micros' in v;
}

/** As DuckDB writes it: `1 year 2 months 3 days 04:00:00.5`, `-01:30:00`, `36:00:00`, `00:00:00`. */
function intervalText(v: Interval): string {
  const months = Number(v.months);
  const days = Number(v.days);
  const micros = Number(v.micros);
  const parts: string[] = [];
  const unit = (n: number, name: string) => { if (n !== 0) parts.push(`${n} ${name}${Math.abs(n) === 1 ? '' : 's'}`); };
  unit(Math.trunc(months / 12), 'year');
  unit(months % 12, 'month');
  unit(days, 'day');
  if (micros !== 0 || parts.length === 0) parts.push(`${micros < 0 ? '-' : ''}${clock(Math.abs(micros))}`);
  return parts.join(' ');
}

/** `HH:MM:SS` and the fraction without trailing zeros; hours past 24 as they are (an interval's 36:00:00). */
function clock(micros: number): string {
  const seconds = Math.floor(micros / MICROS_PER_SECOND);
  const fraction = micros % MICROS_PER_SECOND;
  const two = (n: number) => String(n).padStart(2, '0');
  const text = `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
  return fraction === 0 ? text : `${text}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}`;
}

/** The shortest decimal that is the same 32-bit float: what DuckDB prints for a FLOAT. */
function float32(x: number): number {
  if (!Number.isFinite(x)) return x;
  for (let digits = 1; digits <= 9; digits++) {
    const shortest = Number(x.toPrecision(digits));
    if (Math.fround(shortest) === x) return shortest;
  }
  return x;
}
