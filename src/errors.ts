/** The one error type: a stable code for scripts and tests, a sentence for people, and the cause. */
export type ErrorCode =
  | 'bad_input'
  | 'bad_argument'
  | 'bad_config'
  | 'not_found'
  | 'store_failed'
  | 'query_failed'
  | 'sink_unavailable'
  | 'source_unavailable'
  | 'export_failed'
  | 'internal';

export class AuditlakeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'AuditlakeError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
