/**
 * Where an export goes: a local folder, or an `az://` Blob/ADLS target. DuckDB always writes
 * to a staging folder beside the database first — the one folder `run` lets DuckDB write to
 * once it restricts file access — and `publish` moves the files from there: copied into the
 * folder (each file renamed into place, so a reader never sees half a file) or uploaded.
 * `fetchHeld` brings what the destination already holds in a few partitions into staging too,
 * so the export can read it under the same restriction.
 */
import { copyFileSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import type { ContainerClient } from '@azure/storage-blob';
import { parseBlobTarget, type BlobTarget } from '../azure/blob-target.js';
import { lazyCredential } from '../azure/lazy-credential.js';
import type { Config } from '../config.js';
import { AuditlakeError, errorMessage } from '../errors.js';
import { partitionFiles } from '../store/archive.js';

export interface Destination {
  /** As recorded in the `exports` table: the folder's absolute path, or the az:// URL. */
  readonly name: string;
  /** Makes the files written under `staged` visible at the destination, same relative paths. */
  publish(staged: string): Promise<void>;
  /**
   * Copies the Parquet files the destination holds in these partitions (`category=…/date=…`)
   * into `into`, same relative paths, and returns their local paths. Only late rows' partitions
   * are asked for: days retention pruned, ~1 MB each.
   */
  fetchHeld(partitions: string[], into: string): Promise<string[]>;
}

/** Where exports of the database at `db` are staged. */
export const stagingDirFor = (db: string) => resolve(`${db}.export-staging`);

export interface DestinationOptions {
  connectionString?: string;
  credential: () => TokenCredential;
}

/** For `az://`, loads @azure/storage-blob (a folder needs no SDK). */
export async function destinationFor(to: string, options: DestinationOptions): Promise<Destination> {
  const target = parseBlobTarget(to);
  if (!target) {
    const dir = resolve(to);
    return {
      name: dir,
      publish: async (staged) => copyInto(staged, dir),
      // Copied rather than read in place: under `run`, DuckDB may read only the staging folder.
      fetchHeld: async (partitions, into) => partitionFiles(dir, partitions).map((file) => {
        const to = join(into, relative(dir, file));
        mkdirSync(dirname(to), { recursive: true });
        copyFileSync(file, to);
        return to;
      }),
    };
  }
  const { containerFor, uploadFolder } = await import('../azure/blob-folder.js');
  const container = containerFor(target, { connectionString: options.connectionString, credential: options.credential() });
  const name = `az://${target.account}/${target.container}${target.prefix ? `/${target.prefix}` : ''}`;
  return {
    name,
    publish: async (staged) => { await uploadFolder(staged, target, container); },
    fetchHeld: (partitions, into) => downloadPartitions(container, target, name, partitions, into),
  };
}

/** The destination `to` names, with the config's storage access. */
export function configuredDestination(to: string, config: Config): Promise<Destination> {
  return destinationFor(to, {
    connectionString: (config.export?.to === to ? config.export.connectionString : undefined) ?? process.env.AZURE_STORAGE_CONNECTION_STRING,
    credential: () => lazyCredential(config.azure.credential),
  });
}

/** The blobs under `<prefix>/<partition>/`, downloaded to `into/<partition>/`; none when the container does not exist yet. */
async function downloadPartitions(container: ContainerClient, target: BlobTarget, name: string, partitions: string[], into: string): Promise<string[]> {
  const files: string[] = [];
  for (const partition of partitions) {
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
      if ((err as { statusCode?: number }).statusCode === 404 && (err as { code?: string }).code === 'ContainerNotFound') return files;
      throw new AuditlakeError('export_failed', `reading what ${name}/${partition} already holds failed: ${errorMessage(err)}`, { cause: err });
    }
  }
  return files;
}

function copyInto(staged: string, dir: string): void {
  for (const e of readdirSync(staged, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const to = join(dir, relative(staged, join(e.parentPath, e.name)));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(join(e.parentPath, e.name), `${to}.partial`);
    renameSync(`${to}.partial`, to);
  }
}
