/**
 * Where an export goes: a local folder, or an `az://` Blob/ADLS target. DuckDB always writes
 * to a staging folder beside the database first — the one folder `run` lets DuckDB write to
 * once it restricts file access — and `publish` moves the files from there: copied into the
 * folder (each file renamed into place, so a reader never sees half a file) or uploaded.
 * `fetchHeld` brings what the destination already holds in a few partitions into staging too,
 * so the export can read it under the same restriction.
 */
import { copyFileSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { parseBlobTarget, urlOf } from '../azure/blob-target.js';
import { lazyCredential } from '../azure/lazy-credential.js';
import type { Config } from '../config.js';
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
  const { containerFor, downloadPartitions, uploadFolder } = await import('../azure/blob-folder.js');
  const container = containerFor(target, { connectionString: options.connectionString, credential: options.credential() });
  const name = urlOf(target);
  return {
    name,
    publish: async (staged) => { await uploadFolder(staged, target, container); },
    fetchHeld: (partitions, into) => downloadPartitions(container, target, partitions, into),
  };
}

/** The destination `to` names, with the config's storage access. */
export function configuredDestination(to: string, config: Config): Promise<Destination> {
  return destinationFor(to, {
    connectionString: (config.export?.to === to ? config.export.connectionString : undefined) ?? process.env.AZURE_STORAGE_CONNECTION_STRING,
    credential: () => lazyCredential(config.azure.credential),
  });
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
