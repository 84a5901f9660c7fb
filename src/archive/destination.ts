/**
 * Where an export goes: a local folder, or an `az://` Blob/ADLS target. DuckDB always writes
 * to a staging folder beside the database first — the one folder `run` lets DuckDB write to
 * once it restricts file access — and `publish` moves the files from there: copied into the
 * folder (each file renamed into place, so a reader never sees half a file) or uploaded.
 */
import { copyFileSync, mkdirSync, readdirSync, renameSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { containerFor, parseBlobTarget, uploadFolder } from '../azure/blob-folder.js';
import { credentialFrom } from '../azure/credential.js';
import type { Config } from '../config.js';

export interface Destination {
  /** As recorded in the `exports` table: the folder's absolute path, or the az:// URL. */
  readonly name: string;
  /** Makes the files written under `staged` visible at the destination, same relative paths. */
  publish(staged: string): Promise<void>;
}

/** Where exports of the database at `db` are staged. */
export const stagingDirFor = (db: string) => resolve(`${db}.export-staging`);

export interface DestinationOptions {
  connectionString?: string;
  credential: () => TokenCredential;
}

export function destinationFor(to: string, options: DestinationOptions): Destination {
  const target = parseBlobTarget(to);
  if (!target) {
    const dir = resolve(to);
    return { name: dir, publish: async (staged) => copyInto(staged, dir) };
  }
  const container = containerFor(target, { connectionString: options.connectionString, credential: options.credential() });
  return {
    name: `az://${target.account}/${target.container}${target.prefix ? `/${target.prefix}` : ''}`,
    publish: async (staged) => { await uploadFolder(staged, target, container); },
  };
}

/** The destination `to` names, with the config's storage access. */
export function configuredDestination(to: string, config: Config): Destination {
  return destinationFor(to, {
    connectionString: (config.export?.to === to ? config.export.connectionString : undefined) ?? process.env.AZURE_STORAGE_CONNECTION_STRING,
    credential: () => credentialFrom(config.azure.credential),
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
