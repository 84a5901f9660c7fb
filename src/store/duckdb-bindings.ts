/** node-api's own copy of @duckdb/node-bindings, for reading a result chunk's vectors directly. */
import { createRequire } from 'node:module';

export type Bindings = typeof import('@duckdb/node-bindings');

let loaded: Bindings | undefined;

/**
 * The chunk is one of node-api's objects, which another copy of the bindings would refuse. It is
 * loaded already whenever a chunk exists, so this only looks it up.
 */
export function bindings(): Bindings {
  loaded ??= createRequire(createRequire(import.meta.url).resolve('@duckdb/node-api'))('@duckdb/node-bindings') as Bindings;
  return loaded;
}
