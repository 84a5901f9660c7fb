/**
 * Secrets never reach a stored row or a log line (DESIGN.md §6 rule 11). Redaction runs on the
 * text as received, before it is parsed, so every column derived from it is clean too.
 * The cheap `includes` checks keep the common case (no secret-like text) at one scan.
 */
const SAS_SIGNATURE = /([?&;]|\\u0026|^|["'\s])(sig=)[^&"'\s\\;]+/gi;
const CONNECTION_KEY = /((?:AccountKey|SharedAccessKey|AccessKey|SharedAccessSignature|ClientSecret|Password)\s*=\s*)[^;"'\s\\]+/gi;
const BEARER = /(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/g;
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g;
/** One scan that says whether any of the patterns could match (the common answer is no). */
const MAYBE_SECRET = /sig=|key\s*=|signature\s*=|secret\s*=|password\s*=|bearer|eyJ/i;

export const REDACTED = 'REDACTED';

export function redactSecrets(text: string): string {
  if (!MAYBE_SECRET.test(text)) return text;
  let out = text;
  if (out.includes('sig=') || out.includes('SIG=') || out.includes('Sig=')) out = out.replace(SAS_SIGNATURE, `$1$2${REDACTED}`);
  out = out.replace(CONNECTION_KEY, `$1${REDACTED}`);
  if (out.includes('Bearer')) out = out.replace(BEARER, `$1${REDACTED}`);
  if (out.includes('eyJ')) out = out.replace(JWT, REDACTED);
  return out;
}
