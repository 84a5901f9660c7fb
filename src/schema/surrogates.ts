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
 * same value (not a copy) when it holds none. Recursive: a value nested deeper than the stack
 * throws RangeError, as the schemas would.
 */
export function withoutLoneSurrogates(value: unknown): unknown {
  if (typeof value === 'string') return LONE.test(value) ? value.replace(LONE_ALL, '\uFFFD') : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = withoutLoneSurrogates(value[i]);
      if (v !== value[i] && out === null) out = value.slice(0, i);
      out?.push(v);
    }
    return out ?? value;
  }
  let changed = false;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
    const key = withoutLoneSurrogates(k) as string;
    const val = withoutLoneSurrogates(v);
    if (key !== k || val !== v) changed = true;
    return [key, val] as const;
  });
  // fromEntries defines own properties: a `__proto__` key stays a key, as JSON.parse made it.
  return changed ? Object.fromEntries(entries) : value;
}
