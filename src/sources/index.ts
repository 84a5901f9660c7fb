/**
 * The long-lived sources, listed, not discovered: `sources.<name>` in auditlake.yaml. Each
 * one's module, with its SDK (@azure/event-hubs, kafkajs), is loaded when a source of its kind starts.
 */
import type { Config } from '../config.js';
import type { EventHubsConfig } from './eventhubs-config.js';
import type { KafkaConfig } from './kafka-config.js';
import { ERROR_GRACE_MS, reasonOf, type RunningSource, type SourceContext, type SourceHealth } from './source.js';

export const sources = {
  eventhubs: async (config: EventHubsConfig, ctx: SourceContext) => (await import('./eventhubs.js')).startEventHubs(config, ctx),
  kafka: async (config: KafkaConfig, ctx: SourceContext) => (await import('./kafka.js')).startKafka(config, ctx),
} as const;

/** How often readiness changes are looked for, to be logged. */
const WATCH_MS = 1000;

export interface StartedSources {
  /** Each configured source by its key path (`sources.eventhubs.0`), and whether it consumes now. */
  health(): Array<{ source: string } & SourceHealth>;
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
  const running = new Map<string, RunningSource>();
  const startedAt = new Map<string, number>();
  /** Why a source that has not started yet could not, for /readyz. */
  const startErrors = new Map<string, string>();
  let stopped = false;
  const sleepers = new Set<() => void>();
  const attempts = starts.map(async ({ name, start }) => {
    for (let delayMs = 1000; !stopped; delayMs = Math.min(delayMs * 2, 60_000)) {
      try {
        const source = await start();
        if (stopped) await source.stop();
        else {
          running.set(name, source);
          startedAt.set(name, Date.now());
        }
        if (running.size === starts.length) ctx.log.info({ sources: starts.length }, 'Consuming.');
        return;
      } catch (err) {
        const retryInSeconds = Math.round((delayMs * (0.5 + Math.random())) / 1000);
        startErrors.set(name, reasonOf(err));
        ctx.log.warn({ source: name, err, retryInSeconds }, 'Source could not start; retrying.');
        await new Promise<void>((resolve) => {
          const wake = () => { clearTimeout(timer); sleepers.delete(wake); resolve(); };
          const timer = setTimeout(wake, retryInSeconds * 1000);
          sleepers.add(wake);
        });
      }
    }
  });
  const health = () => starts.map(({ name }): { source: string } & SourceHealth => {
    const source = running.get(name);
    if (source) return { source: name, ...source.health() };
    const why = startErrors.get(name);
    return { source: name, ready: false, reason: why ? `cannot start (retrying): ${why}` : 'starting' };
  });
  // Changes are logged too, so the log says when consumption stopped and why, and when it came
  // back, not only /readyz at the moment someone asks. A source that has not consumed since it
  // started is logged once it has had the error grace to settle; start failures log themselves.
  const wasReady = new Map<string, boolean>();
  const watch = setInterval(() => {
    for (const h of health()) {
      const since = startedAt.get(h.source);
      const was = wasReady.get(h.source);
      if (since === undefined || was === h.ready) continue;
      if (h.ready) ctx.log.info({ source: h.source }, 'Source consuming.');
      else if (was === undefined && Date.now() - since < ERROR_GRACE_MS) continue;
      else ctx.log.warn({ source: h.source, reason: h.reason }, 'Source not consuming.');
      wasReady.set(h.source, h.ready);
    }
  }, WATCH_MS);
  watch.unref();
  return {
    health,
    stop: async () => {
      stopped = true;
      clearInterval(watch);
      for (const wake of [...sleepers]) wake();
      await Promise.allSettled(attempts);
      const results = await Promise.allSettled([...running.values()].map((s) => s.stop()));
      for (const r of results) if (r.status === 'rejected') ctx.log.warn({ err: r.reason }, 'A source did not stop cleanly.');
    },
  };
}
