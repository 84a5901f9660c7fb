/**
 * `az://account/container/prefix`: the Blob Storage (or ADLS Gen2) place an export names, read
 * without the SDK (config validation and `export --to` a folder need none); blob-folder.ts
 * uploads to it.
 */
import { AuditlakeError } from '../errors.js';

export interface BlobTarget {
  account: string;
  container: string;
  /** No leading or trailing slash; '' for the container's root. */
  prefix: string;
}

// Storage account names: 3-24 lowercase letters and digits; containers: 3-63 lowercase letters,
// digits and single hyphens between them (Azure refuses others only at the first upload).
export const AZ_URL = /^az:\/\/([a-z0-9]{3,24})\/((?![a-z0-9-]*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9])(?:\/(.*))?$/;

/** The target of an `az://` URL; null for anything else (a local folder); an error for a malformed one. */
export function parseBlobTarget(url: string): BlobTarget | null {
  if (!url.startsWith('az://')) return null;
  const m = AZ_URL.exec(url);
  if (!m) throw new AuditlakeError('bad_argument', `${url}: expected az://<storage account>/<container>[/<prefix>] (account: 3-24 lowercase letters and digits; container: 3-63 lowercase letters, digits and single hyphens)`);
  return { account: m[1]!, container: m[2]!, prefix: (m[3] ?? '').replace(/^\/+|\/+$/g, '') };
}

/** The target as an `az://` URL, as the `exports` table records it (no trailing slash). */
export function urlOf(target: BlobTarget): string {
  return `az://${target.account}/${target.container}${target.prefix ? `/${target.prefix}` : ''}`;
}
