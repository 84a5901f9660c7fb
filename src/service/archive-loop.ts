/**
 * `run`'s archive schedule: with `export` and/or `retention` configured, run the archive job
 * (src/archive/job.ts) at start and then every `everyHours` (the shorter of the two). A failed
 * round is logged and tried again next time; nothing is deleted that no export holds.
 */
import { configuredDestination } from '../archive/destination.js';
import { archiveOnce, type ArchivePolicy } from '../archive/job.js';
import type { Config } from '../config.js';
import { errorMessage } from '../errors.js';
import type { Store } from '../store/duckdb.js';
import type { Logger } from './log.js';

export interface ArchiveLoop {
  stop(): Promise<void>;
}

/** The policy the config asks for, or null when it asks for neither export nor retention. */
export async function archivePolicy(config: Config): Promise<ArchivePolicy | null> {
  if (!config.export && !config.retention) return null;
  return {
    destination: config.export ? await configuredDestination(config.export.to, config) : undefined,
    retainDays: config.retention?.days,
  };
}

export function startArchiveLoop(store: Store, config: Config, policy: ArchivePolicy, log: Logger): ArchiveLoop {
  const everyMs = Math.min(config.export?.everyHours ?? Infinity, config.retention?.everyHours ?? Infinity) * 3_600_000;
  let round: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const once = async () => {
    try {
      const { exported, retention } = await archiveOnce(store, policy);
      if (exported) log.info({ rows: exported.rows, alreadyExported: exported.alreadyExported, since: new Date(exported.sinceMs).toISOString(), until: new Date(exported.untilMs).toISOString(), to: policy.destination?.name }, 'Exported.');
      if (retention) log.info({ deleted: retention.deleted, keptUnexported: retention.keptUnexported, horizon: new Date(retention.horizonMs).toISOString() }, 'Retention applied.');
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'Archive round failed; trying again next round. Nothing unexported was deleted.');
    }
  };
  const schedule = () => {
    if (!stopped) timer = setTimeout(() => { round = once().then(schedule); }, everyMs);
  };
  round = once().then(schedule);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
