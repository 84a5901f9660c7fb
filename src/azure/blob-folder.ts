/**
 * `az://account/container/prefix` (parsed in blob-target.ts): where `export` can publish its
 * Parquet folder, with `@azure/storage-blob` (Blob Storage or ADLS Gen2 — the Blob endpoint
 * serves both). Files keep their relative paths under the prefix and overwrite what is there, so
 * re-exporting a day replaces its blobs rather than adding copies.
 */
import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/core-auth';
import { AuditlakeError, errorMessage } from '../errors.js';
import type { BlobTarget } from './blob-target.js';

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
