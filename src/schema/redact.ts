/**
 * Secrets never reach a stored row or a log line (DESIGN.md §6 rule 11). Redaction runs on the
 * text as received, before it is parsed, so every column derived from it is clean too.
 *
 * It runs over every byte of input, so it is written as `indexOf` scans (native and fast)
 * rather than regular expressions, which cost ~10 µs a record here on bodies with a SAS URI.
 */
export const REDACTED = 'REDACTED';

/** Markers whose value (up to a delimiter) is a secret. Connection-string keys, SAS signatures. */
const VALUE_MARKERS = [
  'sig=', 'Sig=', 'SIG=',
  'AccountKey=', 'accountkey=', 'SharedAccessKey=', 'sharedaccesskey=', 'SharedAccessSignature=',
  'ClientSecret=', 'client_secret=', 'Password=', 'password=', 'Bearer ', 'bearer ',
];

/** Where a secret value ends: the delimiters of query strings, connection strings and JSON. */
function isDelimiter(c: number): boolean {
  // & ; " ' \ whitespace, and the end of a JSON-escaped \u0026
  return c === 38 || c === 59 || c === 34 || c === 39 || c === 92 || c === 32 || c === 9 || c === 10 || c === 13 || c === 44 || c === 125;
}

function redactValues(text: string, marker: string): string {
  let i = text.indexOf(marker);
  if (i < 0) return text;
  let out = '';
  let copied = 0;
  while (i >= 0) {
    const start = i + marker.length;
    let end = start;
    while (end < text.length && !isDelimiter(text.charCodeAt(end))) end++;
    if (end > start && text.slice(start, end) !== REDACTED) {
      out += text.slice(copied, start) + REDACTED;
      copied = end;
    }
    i = text.indexOf(marker, end);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** JSON Web Tokens (`eyJ...` header.payload.signature), wherever they appear. */
function redactJwts(text: string): string {
  let i = text.indexOf('eyJ');
  if (i < 0) return text;
  let out = '';
  let copied = 0;
  while (i >= 0) {
    let end = i;
    let dots = 0;
    while (end < text.length) {
      const c = text.charCodeAt(end);
      const base64url = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
      if (c === 46) dots++;
      else if (!base64url) break;
      end++;
    }
    if (dots >= 2 && end - i > 20) {
      out += text.slice(copied, i) + REDACTED;
      copied = end;
    }
    i = text.indexOf('eyJ', end);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const marker of VALUE_MARKERS) out = redactValues(out, marker);
  return redactJwts(out);
}
