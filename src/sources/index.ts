/** The long-lived sources, listed, not discovered: `sources.<name>` in auditlake.yaml. */
import type { Config } from '../config.js';
import { startEventHubs } from './eventhubs.js';
import { startKafka } from './kafka.js';
import type { RunningSource, SourceContext } from './source.js';

export const sources = {
  eventhubs: startEventHubs,
  kafka: startKafka,
} as const;

/** Starts every configured source; if one cannot start, those already started are stopped. */
export async function startSources(config: Config['sources'], ctx: SourceContext): Promise<RunningSource[]> {
  const started: RunningSource[] = [];
  try {
    for (const c of config.eventhubs) started.push(await sources.eventhubs(c, ctx));
    for (const c of config.kafka) started.push(await sources.kafka(c, ctx));
    return started;
  } catch (err) {
    await Promise.allSettled(started.map((s) => s.stop()));
    throw err;
  }
}
