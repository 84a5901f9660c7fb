/**
 * `auditlake.yaml`: validated by zod, with errors that name the key path and what was
 * expected. `${NAME}` is replaced by the environment variable NAME (an unset one is an error,
 * `${NAME:-default}` gives a default), so secrets stay out of the file; `auditlake run` also
 * replaces `keyvault:https://<vault>.vault.azure.net/secrets/<name>` with the secret's value.
 *
 * Each part has its own schema; later issues add sources and sinks beside these.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { exportSchema, retentionSchema } from './archive/config.js';
import { credentialSchema } from './azure/credential-config.js';
import { exceptionSchema } from './detectors/exceptions.js';
import { AuditlakeError, errorMessage } from './errors.js';
import { eventhubsSchema } from './sources/eventhubs-config.js';
import { kafkaSchema } from './sources/kafka-config.js';
import { deliverySchema, sinksSchema } from './sinks/index.js';

/** Bounds of `replay.workers` and `replay.maxRecordBytes`, shared with the flags that override them (--workers, --max-record-bytes). */
export const WORKER_LIMITS = { min: 0, max: 64 };
export const RECORD_BYTES_LIMITS = { min: 1024, max: 16 << 20 };

const replaySchema = z.strictObject({
  /** Decode worker threads; default one per spare core. */
  workers: z.int().min(WORKER_LIMITS.min).max(WORKER_LIMITS.max).optional(),
  maxRecordBytes: z.int().min(RECORD_BYTES_LIMITS.min).max(RECORD_BYTES_LIMITS.max).optional(),
});

const detectorsSchema = z.strictObject({
  /** Detector ids (or family prefixes such as `encryption.`) to switch off. */
  disabled: z.array(z.string().min(1)).default([]),
  /** What is expected for one principal, resource or address: its alerts are kept apart, sent nowhere (src/detectors/exceptions.ts). */
  exceptions: z.array(exceptionSchema).default([]),
});

/** What `auditlake run` consumes: each entry one source (an Event Hubs entry may list several hubs). */
const sourcesSchema = z.strictObject({
  eventhubs: z.array(eventhubsSchema).default([]),
  kafka: z.array(kafkaSchema).default([]),
});

/** The HTTP server of `auditlake run`: health, metrics and read-only SQL, on loopback unless told otherwise. */
const serverSchema = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port (written to `<db>.server.json` for `auditlake query`). */
  port: z.int().min(0).max(65535).default(8780),
  /** Bearer token file, written with mode 0600 when absent; default `<db>.token`. */
  tokenFile: z.string().min(1).optional(),
  queryTimeoutSeconds: z.number().min(0.1).max(3600).default(30),
  maxRows: z.int().min(1).max(10_000_000).default(100_000),
});

const serviceSchema = z.strictObject({
  /** Batches waiting for the store before sources are paused. */
  queueBatches: z.int().min(1).max(1000).default(8),
  /** On SIGTERM/SIGINT: finish, store and checkpoint within this, else exit anyway (positions are with the data). */
  shutdownTimeoutSeconds: z.number().min(1).max(600).default(30),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const configSchema = z.strictObject({
  /** The DuckDB file; `--db` and $AUDITLAKE_DB win over it. Never DuckDB's in-memory database: it would keep nothing. */
  db: z.string().trim().min(1).refine((db) => !db.toLowerCase().startsWith(':memory:'), 'expected a database file path (:memory: would store nothing)').optional(),
  replay: replaySchema.default({}),
  detectors: detectorsSchema.default({ disabled: [], exceptions: [] }),
  /** The identity for every Azure API (Event Hubs, Storage, Key Vault references); DefaultAzureCredential when absent. */
  azure: z.strictObject({ credential: credentialSchema.optional() }).default({}),
  sources: sourcesSchema.default({ eventhubs: [], kafka: [] }),
  /** Where alerts go (each sink gets every alert at least once; `alert_id` makes repeats harmless). */
  sinks: sinksSchema.default(sinksSchema.parse({})),
  delivery: deliverySchema.default(deliverySchema.parse({})),
  server: serverSchema.default(serverSchema.parse({})),
  /** Parquet export of whole days, repeated by `run` (see src/archive/). */
  export: exportSchema.optional(),
  /** Deleting old events; with `export`, only once exported. */
  retention: retentionSchema.optional(),
  service: serviceSchema.default(serviceSchema.parse({})),
});

export type Config = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG: Config = configSchema.parse({});

/** Replaces `${NAME}` / `${NAME:-default}` in every string of a parsed document. */
function substituteEnv(value: unknown, path: string[], env: NodeJS.ProcessEnv, file: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined) return v;
      if (fallback !== undefined) return fallback;
      throw new AuditlakeError('bad_config', `${file}: ${path.join('.') || '(root)'}: environment variable ${name} is not set`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...path, String(i)], env, file));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, [...path, k], env, file)]));
  }
  return value;
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new AuditlakeError('bad_config', `${file}: not valid YAML: ${errorMessage(err)}`, { cause: err });
  }
  const result = configSchema.safeParse(substituteEnv(doc, [], env, file));
  if (!result.success) {
    // Every issue, a line each: fixing a file one error per run is slow going.
    const lines = result.error.issues.map((issue) => `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new AuditlakeError('bad_config', lines.join('\n'));
  }
  return result.data;
}

export function loadConfig(file: string | undefined): Config {
  if (!file) return DEFAULT_CONFIG;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuditlakeError('not_found', `--config ${file}: cannot read it (${errorMessage(err)})`, { cause: err });
  }
  return parseConfig(text, file);
}
