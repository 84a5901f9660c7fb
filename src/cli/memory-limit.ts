/**
 * `--memory-limit` for the commands that run alone over the whole database (`compact`,
 * `export`): DuckDB's memory cap while they work. The store's usual 512 MB suits a long-lived
 * service beside other work; these batch commands go faster with more. Sorting a category with
 * its `raw` text for the rewrite ran out of memory at 512 MB (10M events); exporting a busy
 * day (167k events) took 9.3 s at 512 MB against 4.2 s at 4 GB, DuckDB re-reading what it had to
 * evict (bench/RESULTS.md notes).
 */
import { totalmem } from 'node:os';
import { Option } from 'commander';
import { AuditlakeError, errorMessage } from '../errors.js';

/**
 * The memory this process may use: the machine's, or its container's limit (cgroup) when lower.
 * `totalmem()` alone is the host's: in a 4 GB container on a 64 GB host, a quarter of it would
 * get the command killed. Node gives 0 when no limit is known.
 */
export const availableMemory = (machine = totalmem(), constrained = process.constrainedMemory()) =>
  constrained > 0 ? Math.min(machine, constrained) : machine;

/** A quarter of the memory available, at least 1 GB: these commands run alone. */
export const defaultMemoryLimit = (bytes = availableMemory()) => `${Math.max(1, Math.floor(bytes / 4 / 2 ** 30))}GB`;

function memorySize(value: string): string {
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(value.trim())) {
    throw new AuditlakeError('bad_argument', `--memory-limit ${value}: expected a size like 4GB or 512MB`);
  }
  return value.trim();
}

/** The option, with `what` saying what the memory holds while the command runs. */
export const memoryLimitOption = (what: string) =>
  new Option('--memory-limit <size>', `DuckDB's memory cap while ${what}, e.g. 4GB (default: a quarter of this machine's memory, or of its container's limit)`).argParser(memorySize);

/**
 * Runs `work` under a memory cap of `limit`; DuckDB's out-of-memory error comes out in this
 * command's terms. DuckDB's own advice names SQL settings (`SET memory_limit`, threads) that a
 * user of the command cannot reach.
 */
export async function underMemoryLimit<T>(limit: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const message = errorMessage(err);
    if (!/Out of Memory Error/i.test(message)) throw err;
    const code = err instanceof AuditlakeError ? err.code : 'store_failed';
    throw new AuditlakeError(code, `${message.split('\n')[0]}\n  DuckDB had ${limit} of memory: give it more with --memory-limit`, { cause: err });
  }
}
