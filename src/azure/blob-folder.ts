/**
 * `az://account/container/prefix`: where `export` can publish its Parquet folder, with
 * `@azure/storage-blob` (Blob Storage or ADLS Gen2 — the Blob endpoint serves both). Files keep
 * their relative paths under the prefix and overwrite what is there, so re-exporting a day
 * replaces its blobs rather than adding copies.
 */
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/core-auth';
import { AuditlakeError, errorMessage } from '../errors.js';

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

export interface BlobAccess {
  /** A storage connection string (e.g. Azurite's); else the credential on https://<account>.blob.core.windows.net. */
  connectionString?: string;
  credential: TokenCredential;
}

export function containerFor(target: BlobTarget, access: BlobAccess): ContainerClient {
  const service = access.connectionString
    ? BlobServiceClient.fromConnectionString(access.connectionString)
    : new BlobServiceClient(`https://${target.account}.blob.core.windows.net`, access.credential);
  if (access.connectionString && service.accountName !== target.account) {
    throw new AuditlakeError('bad_config', `az://${target.account}/…: the storage connection string is for account '${service.accountName}'`);
  }
  return service.getContainerClient(target.container);
}

/** Uploads every file under `dir` to the target, keeping relative paths. Returns how many. */
export async function uploadFolder(dir: string, target: BlobTarget, container: ContainerClient): Promise<number> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  try {
    await container.createIfNotExists();
    for (const file of files) {
      const name = [target.prefix, relative(dir, file).split(sep).join('/')].filter(Boolean).join('/');
      await container.getBlockBlobClient(name).uploadFile(file, { blobHTTPHeaders: { blobContentType: 'application/vnd.apache.parquet' } });
    }
  } catch (err) {
    throw new AuditlakeError('export_failed', `upload to az://${target.account}/${target.container}/${target.prefix} failed: ${errorMessage(err)}`, { cause: err });
  }
  return files.length;
}
