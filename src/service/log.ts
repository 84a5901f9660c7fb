/**
 * Structured JSON logs (pino), one object per line on stdout: sentences with fields
 * (`log.info({ partition, count }, 'Batch committed.')`). Errors pass through the same
 * redaction as stored rows, because SDK errors can quote connection strings and SAS URIs.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { errorMessage } from '../errors.js';
import { printableJson } from '../schema/printable.js';
import { redactSecrets } from '../schema/redact.js';

export type Logger = PinoLogger;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Field names whose values never print, wherever they sit in a log object. */
const SECRET_KEYS = ['connectionString', 'password', 'token', 'clientSecret', 'authorization', 'key', 'sas'];

export function createLogger(level: LogLevel = 'info', destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: { service: 'auditlake' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: SECRET_KEYS.flatMap((k) => [k, `*.${k}`]), censor: 'REDACTED' },
      serializers: { err: serializeError },
      formatters: { level: (label) => ({ level: label }) },
      // An error can quote a peer's answer or logged text: a log read in a terminal gets the
      // control characters pino leaves raw (DEL, C1, bidi overrides) as JSON escapes instead.
      hooks: { streamWrite: printableJson },
    },
    destination as DestinationStream,
  );
}

function serializeError(err: unknown): { type: string; message: string; code?: string } {
  if (!(err instanceof Error)) return { type: typeof err, message: redactSecrets(String(err)) };
  const code = (err as { code?: unknown }).code;
  // The Event Hubs SDK gives up with an AggregateError of its attempts' errors, its own message empty.
  const message = err.message || (err instanceof AggregateError ? [...new Set(err.errors.map(errorMessage))].join('; ') : '');
  return { type: err.name, message: redactSecrets(message), ...(typeof code === 'string' ? { code } : {}) };
}
