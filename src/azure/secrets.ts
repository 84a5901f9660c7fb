/**
 * Key Vault secret references in config: a string that is exactly
 * `keyvault:https://<vault>.vault.azure.net/secrets/<name>[/<version>]` is replaced by the
 * secret's value, read with the configured credential. The secret never appears in an error:
 * messages name the key path and the reference.
 *
 * For redacting connection strings in log lines and errors, use `redactSecrets` from
 * `../schema/redact.js` (SharedAccessKey=, AccountKey=, sig=, password=, bearer tokens).
 */
import { STATUS_CODES } from 'node:http';
import type { TokenCredential } from '@azure/identity';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import { AuditlakeError, errorMessage } from '../errors.js';
import { redactSecrets } from '../schema/redact.js';

const PREFIX = 'keyvault:';
const EXPECTED = 'keyvault:https://<vault>.vault.azure.net/secrets/<name>[/<version>]';

/**
 * True for any string that starts with `keyvault:` — it will be resolved, or rejected as
 * malformed; it is never passed on as a literal.
 */
export function isSecretReference(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

export interface SecretReference {
  /** `https://<vault>.vault.azure.net` (origin only). */
  vaultUrl: string;
  name: string;
  version: string | undefined;
  /** The URL as written after `keyvault:`, for messages. */
  id: string;
}

/** The parts of a reference, or undefined if it is not one (see `EXPECTED`). */
export function parseSecretReference(value: string): SecretReference | undefined {
  if (!value.startsWith(PREFIX)) return undefined;
  const id = value.slice(PREFIX.length);
  let url: URL;
  try {
    url = new URL(id);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) return undefined;
  // Key Vault names: 1-127 of [0-9A-Za-z-]; versions are 32 hex digits.
  const m = /^\/secrets\/([0-9A-Za-z-]{1,127})(?:\/([0-9A-Za-z]+))?\/?$/.exec(url.pathname);
  if (!m) return undefined;
  return { vaultUrl: url.origin, name: m[1]!, version: m[2], id };
}

export interface ResolveSecretOptions extends SecretClientOptions {
  /** Give up on one secret after this long, retries included. Default 60 000. */
  timeoutMs?: number;
}

/**
 * A copy of `doc` (plain objects and arrays walked; other values kept) with every secret
 * reference replaced by its value. Each distinct reference is read once, in document order; the
 * credential is not used when there are none. Malformed references fail before any request.
 *
 * `options` go to each `SecretClient`; tests need `disableChallengeResourceVerification` (the
 * challenge's resource, vault.azure.net, is checked against the vault's host name) and
 * `tlsOptions: { ca }`.
 */
export async function resolveSecretReferences<T>(doc: T, credential: TokenCredential, options: ResolveSecretOptions = {}): Promise<T> {
  const { timeoutMs = 60_000, ...clientOptions } = options;
  const found = new Map<string, { ref: SecretReference; path: string }>();
  collect(doc, [], found);
  if (found.size === 0) return copy(doc, new Map()) as T;

  const clients = new Map<string, SecretClient>();
  const values = new Map<string, string>();
  for (const [raw, { ref, path }] of found) {
    let client = clients.get(ref.vaultUrl);
    if (!client) {
      client = new SecretClient(ref.vaultUrl, credential, clientOptions);
      clients.set(ref.vaultUrl, client);
    }
    const abortSignal = AbortSignal.timeout(timeoutMs);
    let value: string | undefined;
    try {
      value = (await client.getSecret(ref.name, { version: ref.version, abortSignal })).value;
    } catch (err) {
      const why = abortSignal.aborted ? `gave up after ${timeoutMs} ms` : failure(err);
      throw new AuditlakeError('bad_config', `${path}: Key Vault secret ${ref.id} could not be read: ${why}`, { cause: err });
    }
    if (value === undefined) throw new AuditlakeError('bad_config', `${path}: Key Vault secret ${ref.id} has no value`);
    values.set(raw, value);
  }
  return copy(doc, values) as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const pathText = (path: string[]): string => path.join('.') || '(root)';

function collect(value: unknown, path: string[], found: Map<string, { ref: SecretReference; path: string }>): void {
  if (isSecretReference(value)) {
    if (found.has(value)) return;
    const ref = parseSecretReference(value);
    if (!ref) {
      throw new AuditlakeError('bad_config', `${pathText(path)}: not a Key Vault secret reference: ${redactSecrets(value)} (expected ${EXPECTED})`);
    }
    found.set(value, { ref, path: pathText(path) });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => collect(v, [...path, String(i)], found));
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) collect(v, [...path, k], found);
  }
}

function copy(value: unknown, values: Map<string, string>): unknown {
  if (typeof value === 'string') return values.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => copy(v, values));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v, values)]));
  return value;
}

/** `403 Forbidden: <the service's message>`, or the credential's message. Never a secret value. */
function failure(err: unknown): string {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  const message = redactSecrets(errorMessage(err));
  if (typeof status !== 'number') return message;
  const head = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
  return message && !message.includes(`${status}`) ? `${head}: ${message}` : head;
}
