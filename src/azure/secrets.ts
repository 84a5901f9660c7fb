/**
 * Key Vault secret references in config (their syntax: secret-reference.ts): each is replaced by
 * the secret's value, read with the configured credential. The secret never appears in an error:
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
import { findSecretReferences, replaceSecretReferences } from './secret-reference.js';

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
  const found = findSecretReferences(doc);
  if (found.size === 0) return replaceSecretReferences(doc, new Map()) as T;

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
  return replaceSecretReferences(doc, values) as T;
}

/** `403 Forbidden: <the service's message>`, or the credential's message. Never a secret value. */
function failure(err: unknown): string {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  const message = redactSecrets(errorMessage(err));
  if (typeof status !== 'number') return message;
  const head = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
  return message && !message.includes(`${status}`) ? `${head}: ${message}` : head;
}
