/**
 * The `events` row (DESIGN.md §3): what every accepted record becomes, whatever its family.
 * Column names are the contract users' SQL relies on; the order here is the table's order.
 */
export type Result = 'success' | 'failure' | 'start' | 'accepted' | 'unknown';
export type PrincipalType = 'user' | 'servicePrincipal' | 'managedIdentity' | 'unknown';
export type AuthType = 'oauth' | 'sas' | 'accountkey' | 'anonymous' | 'kerberos' | 'certificate' | 'unknown';

/** Facts a family extracts for detectors and queries beyond the fixed columns (small, flat). */
export type Details = Record<string, string | number | boolean | null>;

export interface EventRow {
  event_id: string;
  /** Event time, epoch milliseconds. */
  time: number;
  /** When auditlake accepted the record, epoch milliseconds. */
  ingested_at: number;
  source: string;
  category: string;
  operation: string;
  result: Result;
  status_code: string | null;
  principal_id: string | null;
  principal_name: string | null;
  app_id: string | null;
  principal_type: PrincipalType;
  auth_type: AuthType | null;
  caller_ip: string | null;
  resource_id: string | null;
  subscription_id: string | null;
  resource_group: string | null;
  resource_type: string | null;
  resource_name: string | null;
  target: string | null;
  role_definition_id: string | null;
  bytes_out: number | null;
  bytes_in: number | null;
  user_agent: string | null;
  tls_version: string | null;
  correlation_id: string | null;
  details: Details;
  /** The record's JSON text, compact and redacted. */
  raw: string;
}

/** What a family normalizer fills; the pipeline adds ids, times of ingestion, source and raw. */
export type EventFields = Omit<EventRow, 'event_id' | 'ingested_at' | 'source' | 'raw' | 'subscription_id' | 'resource_group' | 'resource_type' | 'resource_name'>;

export type ColumnType = 'VARCHAR' | 'TIMESTAMPTZ' | 'BIGINT' | 'JSON';

/** Column → DuckDB type, in table order. The migration and the appender both read this. */
export const EVENT_COLUMNS: ReadonlyArray<readonly [keyof EventRow, ColumnType]> = [
  ['event_id', 'VARCHAR'],
  ['time', 'TIMESTAMPTZ'],
  ['ingested_at', 'TIMESTAMPTZ'],
  ['source', 'VARCHAR'],
  ['category', 'VARCHAR'],
  ['operation', 'VARCHAR'],
  ['result', 'VARCHAR'],
  ['status_code', 'VARCHAR'],
  ['principal_id', 'VARCHAR'],
  ['principal_name', 'VARCHAR'],
  ['app_id', 'VARCHAR'],
  ['principal_type', 'VARCHAR'],
  ['auth_type', 'VARCHAR'],
  ['caller_ip', 'VARCHAR'],
  ['resource_id', 'VARCHAR'],
  ['subscription_id', 'VARCHAR'],
  ['resource_group', 'VARCHAR'],
  ['resource_type', 'VARCHAR'],
  ['resource_name', 'VARCHAR'],
  ['target', 'VARCHAR'],
  ['role_definition_id', 'VARCHAR'],
  ['bytes_out', 'BIGINT'],
  ['bytes_in', 'BIGINT'],
  ['user_agent', 'VARCHAR'],
  ['tls_version', 'VARCHAR'],
  ['correlation_id', 'VARCHAR'],
  ['details', 'JSON'],
  ['raw', 'VARCHAR'],
];

/** A record that could not be accepted: kept as received, with the reason. */
export interface RejectRow {
  received_at: number;
  source: string;
  reason: string;
  raw: string;
}
