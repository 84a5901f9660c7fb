/**
 * JSON may spell a lone UTF-16 surrogate (`"\ud800"`, a string cut between the halves of an
 * emoji by a forwarder); DuckDB's JSON and its UTF-8 text cannot hold one: a `details` value
 * holding it failed the whole batch's INSERT ("Malformed JSON ... no low surrogate in
 * string"). So lone surrogates become U+FFFD, as invalid bytes do when text is decoded, where
 * JSON is parsed: a record's text (decode/unit.ts) and the JSON Azure nests in strings
 * (`parseLooseJson`: `properties`, request bodies), before any field is read from them.
 */

/** Cheap first look at JSON text: a surrogate, escaped (`\ud8..`–`\udf..`) or as it is. Rare in audit logs. */
export function mayHoldSurrogate(text: string): boolean {
  return (text.includes('\\u') && /\\u[dD][89a-fA-F]/.test(text)) || /[\uD800-\uDFFF]/.test(text);
}

/** In `u` mode a surrogate pair is one code point: these match only the lone halves. */
const LONE = /[\uD800-\uDFFF]/u;
const LONE_ALL = /[\uD800-\uDFFF]/gu;

/**
 * The parsed JSON value with every lone surrogate, in keys and strings, replaced by U+FFFD; the
 * same value (not a copy) when it holds none. Iterative: a record nested deeper than the stack
 * must not be refused here when it would be stored without this step (and how deep the stack
 * goes differs between the main thread and a decode worker).
 */
export function withoutLoneSurrogates(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? wellFormed(value) : value;
  const stack: Frame[] = [frame(value)];
  for (;;) {
    const f = stack[stack.length - 1]!;
    if (f.i === f.values.length) {
      stack.pop();
      const done = f.changed ? rebuilt(f) : f.source;
      const parent = stack[stack.length - 1];
      if (parent === undefined) return done;
      if (done !== parent.values[parent.i]) {
        parent.values[parent.i] = done;
        parent.changed = true;
      }
      parent.i++;
      continue;
    }
    const v = f.values[f.i];
    if (v !== null && typeof v === 'object') {
      stack.push(frame(v));
      continue;
    }
    if (typeof v === 'string') {
      const w = wellFormed(v);
      if (w !== v) {
        f.values[f.i] = w;
        f.changed = true;
      }
    }
    f.i++;
  }
}

/** A container being walked: its keys (objects), its values as they become, and the next to look at. */
interface Frame { source: object; keys: string[] | null; values: unknown[]; i: number; changed: boolean }

function frame(v: object): Frame {
  if (Array.isArray(v)) return { source: v, keys: null, values: v.slice(), i: 0, changed: false };
  const own = Object.keys(v);
  const keys = own.map(wellFormed);
  return { source: v, keys, values: own.map((k) => (v as Record<string, unknown>)[k]), i: 0, changed: keys.some((k, i) => k !== own[i]) };
}

function rebuilt(f: Frame): unknown {
  // fromEntries defines own properties: a `__proto__` key stays a key, as JSON.parse made it.
  return f.keys === null ? f.values : Object.fromEntries(f.keys.map((k, i) => [k, f.values[i]]));
}

function wellFormed(s: string): string {
  return LONE.test(s) ? s.replace(LONE_ALL, '\uFFFD') : s;
}
