/**
 * Key Vault secret references in config, as text: a string that is exactly
 * `keyvault:https://<vault>.vault.azure.net/secrets/<name>[/<version>]`. Finding and replacing
 * them needs no SDK; reading their values from Key Vault is secrets.ts's job.
 */
import { AuditlakeError } from '../errors.js';
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

/**
 * Each distinct reference in `doc` (plain objects and arrays walked), in document order, keyed
 * by its text, with the key path of its first use. A malformed one is an error naming its path.
 */
export function findSecretReferences(doc: unknown): Map<string, { ref: SecretReference; path: string }> {
  const found = new Map<string, { ref: SecretReference; path: string }>();
  collect(doc, [], found);
  return found;
}

/** A copy of `doc` (plain objects and arrays walked; other values kept) with each string in `values` replaced by its value. */
export function replaceSecretReferences(doc: unknown, values: Map<string, string>): unknown {
  if (typeof doc === 'string') return values.get(doc) ?? doc;
  if (Array.isArray(doc)) return doc.map((v) => replaceSecretReferences(v, values));
  if (isPlainObject(doc)) return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, replaceSecretReferences(v, values)]));
  return doc;
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
