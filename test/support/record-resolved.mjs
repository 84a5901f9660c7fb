// Records every module a Node process resolves, for tests of what a command loads:
//
//   RECORD_RESOLVED_TO=FILE node --import ./test/support/record-resolved.mjs bin/auditlake.js ...
//
// appends each resolved URL to FILE, a line each, as the process imports it. Only ESM
// resolution is seen (imports, and the first require of a package from ESM); a CommonJS
// package's own requires are not, so the line to look for is the package's entry point.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

// This file is also the hooks module: register runs it again in the loader's own thread.
if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (process.env.RECORD_RESOLVED_TO) appendFileSync(process.env.RECORD_RESOLVED_TO, `${resolved.url}\n`);
  return resolved;
}
