/**
 * Removes a sink's own configured secrets from error text before it is logged or stored in
 * `alert_deliveries.last_error`. `redactSecrets` only knows secrets by the words around them
 * (`sig=`, `AccountKey=`); a receiver that echoes its request (a 400 quoting the URL and
 * headers) can put any configured value in its answer — an `X-Api-Key`, a function key in
 * `?code=`, a token under a name no list knows. So every value the sink was configured with is
 * removed by value, as written and as it would appear URL-encoded or decoded.
 */
import { REDACTED } from '../schema/redact.js';

/**
 * Values shorter than this are not removed: no key is that short, and removing `1` or `json`
 * everywhere would garble the message (`?api-version=1`, `Accept: json`).
 */
const MIN_LENGTH = 6;

/** Every query-string value of a URL (as written and decoded): function keys, SAS, tokens. */
export function queryValues(url: URL): string[] {
  const out: string[] = [];
  for (const pair of url.search.replace(/^\?/, '').split('&')) {
    const eq = pair.indexOf('=');
    if (eq >= 0) out.push(pair.slice(eq + 1));
  }
  for (const value of url.searchParams.values()) out.push(value);
  return out;
}

/** A function that replaces each of `values` (and its URL-encoded and decoded forms) in a text by REDACTED. */
export function scrubber(values: ReadonlyArray<string | undefined>): (text: string) => string {
  const forms = new Set<string>();
  for (const value of values) {
    if (!value) continue;
    forms.add(value);
    forms.add(encodeURIComponent(value));
    forms.add(JSON.stringify(value).slice(1, -1)); // as quoted inside a JSON answer
    try {
      forms.add(decodeURIComponent(value.replace(/\+/g, ' ')));
    } catch {
      // not URL-encoded text: the value as written is enough
    }
  }
  // Longest first, so a value containing another is removed whole.
  const needles = [...forms].filter((f) => f.length >= MIN_LENGTH).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const needle of needles) if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    return out;
  };
}
