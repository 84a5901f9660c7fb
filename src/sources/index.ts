/** The long-lived sources, listed, not discovered: `sources.<name>` in auditlake.yaml. */
import type { Config } from '../config.js';
import { startEventHubs } from './eventhubs.js';
import { startKafka } from './kafka.js';
import type { RunningSource, SourceContext } from './source.js';

export const sources = {
  eventhubs: startEventHubs,
  kafka: startKafka,
} as const;

export interface StartedSources {
  /** True once every source has connected and started consuming. */
  ready(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts every configured source. One that cannot start (a namespace unreachable, a broker
 * down) is retried with exponential backoff and jitter, 1 s doubling to 60 s, until it starts
 * or the service stops; the others consume meanwhile, and readiness waits for all.
 */
export function startSources(config: Config['sources'], ctx: SourceContext): StartedSources {
  const starts = [
    ...config.eventhubs.map((c, i) => ({ name: `sources.eventhubs.${i}`, start: () => sources.eventhubs(c, ctx) })),
    ...config.kafka.map((c, i) => ({ name: `sources.kafka.${i}`, start: () => sources.kafka(c, ctx) })),
  ];
  const running: RunningSource[] = [];
  let stopped = false;
  const sleepers = new Set<() => void>();
  const attempts = starts.map(async ({ name, start }) => {
    for (let delayMs = 1000; !stopped; delayMs = Math.min(delayMs * 2, 60_000)) {
      try {
        const source = await start();
        if (stopped) await source.stop();
        else running.push(source);
        if (running.length === starts.length) ctx.log.info({ sources: starts.length }, 'Consuming.');
        return;
      } catch (err) {
        const retryInSeconds = Math.round((delayMs * (0.5 + Math.random())) / 1000);
        ctx.log.warn({ source: name, err, retryInSeconds }, 'Source could not start; retrying.');
        await new Promise<void>((resolve) => {
          const wake = () => { clearTimeout(timer); sleepers.delete(wake); resolve(); };
          const timer = setTimeout(wake, retryInSeconds * 1000);
          sleepers.add(wake);
        });
      }
    }
  });
  return {
    ready: () => running.length === starts.length,
    stop: async () => {
      stopped = true;
      for (const wake of [...sleepers]) wake();
      await Promise.allSettled(attempts);
      const results = await Promise.allSettled(running.map((s) => s.stop()));
      for (const r of results) if (r.status === 'rejected') ctx.log.warn({ err: r.reason }, 'A source did not stop cleanly.');
    },
  };
}
