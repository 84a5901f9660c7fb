/**
 * `az://account/container/prefix` (parsed in blob-target.ts): where `export` can publish its
 * Parquet folder, with `@azure/storage-blob` (Blob Storage or ADLS Gen2 — the Blob endpoint
 * serves both). Files keep their relative paths under the prefix and overwrite what is there, so
 * re-exporting a day replaces its blobs rather than adding copies.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { TokenCredential } from '@azure/core-auth';
import { AuditlakeError, errorMessage } from '../errors.js';
import { forEachAtOnce } from './at-once.js';
import { urlOf, type BlobTarget } from './blob-target.js';

/** Blobs sent or fetched at once: a day's files are ~1 MB each, so round trips, not bandwidth, set the pace. */
const BLOBS_AT_ONCE = 8;

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
    await forEachAtOnce(files, BLOBS_AT_ONCE, async (file) => {
      const name = [target.prefix, relative(dir, file).split(sep).join('/')].filter(Boolean).join('/');
      await container.getBlockBlobClient(name).uploadFile(file, { blobHTTPHeaders: { blobContentType: 'application/vnd.apache.parquet' } });
    });
  } catch (err) {
    throw new AuditlakeError('export_failed', `upload to ${urlOf(target)} failed: ${errorMessage(err)}`, { cause: err });
  }
  return files.length;
}

/**
 * The blobs under `<prefix>/<partition>/`, downloaded to `into/<partition>/`, a few partitions
 * at once; none when the container does not exist yet.
 */
export async function downloadPartitions(container: ContainerClient, target: BlobTarget, partitions: string[], into: string): Promise<string[]> {
  const files: string[] = [];
  try {
    await forEachAtOnce(partitions, BLOBS_AT_ONCE, async (partition) => {
      const prefix = `${[target.prefix, partition].filter(Boolean).join('/')}/`;
      try {
        for await (const blob of container.listBlobsFlat({ prefix })) {
          const file = blob.name.slice(prefix.length);
          // Only the partition's own files, as the layout names them (a deeper blob is not one of them).
          if (file.includes('/') || !file.endsWith('.parquet') || file.startsWith('.')) continue;
          const to = join(into, partition, basename(file));
          mkdirSync(dirname(to), { recursive: true });
          await container.getBlobClient(blob.name).downloadToFile(to);
          files.push(to);
        }
      } catch (err) {
        if (isContainerNotFound(err)) throw err;
        throw new AuditlakeError('export_failed', `reading what ${urlOf(target)}/${partition} already holds failed: ${errorMessage(err)}`, { cause: err });
      }
    });
  } catch (err) {
    if (isContainerNotFound(err)) return [];
    throw err;
  }
  return files.sort();
}

function isContainerNotFound(err: unknown): boolean {
  return (err as { statusCode?: number }).statusCode === 404 && (err as { code?: string }).code === 'ContainerNotFound';
}
