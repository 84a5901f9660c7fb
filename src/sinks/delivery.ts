/**
 * The delivery loop: for each sink, the alerts due in the outbox go out in batches; a batch
 * that fails is retried after an exponential backoff with jitter (or the sink's Retry-After),
 * for as long as it takes — nothing is dropped, and an alert updated meanwhile goes out again
 * under the same id. It runs inside `auditlake run` (woken by each commit that raised alerts)
 * and once at the end of `auditlake replay`.
 */
import { errorMessage } from '../errors.js';
import { redactSecrets } from '../schema/redact.js';
import type { Logger } from '../service/log.js';
import type { Outbox } from '../store/outbox.js';
import { SinkError, type Sink } from './sink.js';

export interface DeliveryOptions {
  /** One send's time limit. */
  sendTimeoutMs: number;
  /** First retry after about this long, doubling per attempt up to maxBackoffMs (±50 % jitter). */
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = { sendTimeoutMs: 30_000, initialBackoffMs: 1000, maxBackoffMs: 300_000 };

export interface DeliveryCounts { delivered: number; skipped: number; failed: number }

export function backoffMs(attempt: number, options: DeliveryOptions, random = Math.random): number {
  const base = Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(base * (0.5 + random()));
}

/** Sends everything due, sink by sink, until none is due or a sink fails (it waits for its backoff). */
export async function deliverDue(outbox: Outbox, sinks: readonly Sink[], options: DeliveryOptions, log: Logger,
  signal: AbortSignal = new AbortController().signal): Promise<DeliveryCounts> {
  const counts: DeliveryCounts = { delivered: 0, skipped: 0, failed: 0 };
  for (const sink of sinks) {
    while (!signal.aborted) {
      const due = await outbox.due(sink.name, sink.maxBatch);
      if (due.length === 0) break;
      const wanted = due.filter((a) => sink.accepts(a));
      const unwanted = due.filter((a) => !sink.accepts(a));
      if (unwanted.length > 0) await outbox.delivered(sink.name, unwanted, 'skipped');
      counts.skipped += unwanted.length;
      if (wanted.length === 0) continue;
      try {
        await sink.send(wanted, AbortSignal.any([signal, AbortSignal.timeout(options.sendTimeoutMs)]));
        await outbox.delivered(sink.name, wanted);
        counts.delivered += wanted.length;
        log.info({ sink: sink.name, alerts: wanted.length }, 'Alerts delivered.');
      } catch (err) {
        const error = redactSecrets(errorMessage(err)).slice(0, 2000);
        const retryAfter = retryAfterOf(err, options, sink.name, log);
        const attempt = await outbox.failed(sink.name, wanted, error, (n) => retryAfter ?? backoffMs(n, options));
        // Retry-After speaks for the receiver, not this batch: every alert to the sink waits.
        if (retryAfter !== undefined) await outbox.pause(sink.name, Date.now() + retryAfter);
        counts.failed += wanted.length;
        log.warn({ sink: sink.name, alerts: wanted.length, attempt, retryAfterMs: retryAfter, error }, 'Alert delivery failed; will retry.');
        break;
      }
    }
  }
  return counts;
}

/**
 * A failure's Retry-After, at most maxBackoffMs: a bogus or far-future value (`Retry-After:
 * 86400000`, a date years ahead) would otherwise park the sink's alerts indefinitely.
 */
function retryAfterOf(err: unknown, options: DeliveryOptions, sink: string, log: Logger): number | undefined {
  const asked = err instanceof SinkError ? err.retryAfterMs : undefined;
  if (asked === undefined || asked <= options.maxBackoffMs) return asked;
  log.warn({ sink, retryAfterMs: asked, maxBackoffMs: options.maxBackoffMs },
    'Retry-After is longer than delivery.maxBackoffSeconds; waiting maxBackoffSeconds instead.');
  return options.maxBackoffMs;
}

/**
 * For `replay`: passes until nothing is pending for any sink or the deadline passes, waiting
 * out backoffs in between. Returns what was delivered and what is still pending.
 */
export async function deliverUntil(outbox: Outbox, sinks: readonly Sink[], options: DeliveryOptions, log: Logger, deadlineMs: number)
  : Promise<{ delivered: number; pending: number }> {
  const deadline = AbortSignal.timeout(Math.max(1, deadlineMs));
  let delivered = 0;
  for (;;) {
    const counts = await deliverDue(outbox, sinks, options, log, deadline);
    delivered += counts.delivered;
    const pending = (await outbox.pending(sinks.map((s) => s.name))).length;
    if (pending === 0 || deadline.aborted) return { delivered, pending };
    await sleep(Math.min(1000, options.initialBackoffMs), deadline);
  }
}

/**
 * Waits `ms`, or less if `signal` aborts. The listener goes when the wait ends either way:
 * `signal` outlives many waits (a replay's deadline: one wait per round), and a listener left per
 * round piled up into a MaxListenersExceededWarning.
 */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface DeliveryLoop {
  /** Something new may be due (a commit raised alerts): deliver now rather than at the next poll. */
  wake(): void;
  /** Lets the send in flight finish (within graceMs, then aborts it: it is retried next start). */
  stop(graceMs?: number): Promise<void>;
}

/** The loop `auditlake run` keeps: a pass on every wake, and every pollMs for retries that came due. */
export function startDeliveryLoop(outbox: Outbox, sinks: readonly Sink[], options: DeliveryOptions & { pollMs: number }, log: Logger): DeliveryLoop {
  const abort = new AbortController();
  let stopping = false;
  let wakeUp: (() => void) | undefined;
  const loop = (async () => {
    while (!stopping) {
      try {
        await deliverDue(outbox, sinks, options, log, abort.signal);
      } catch (err) {
        log.error({ err }, 'Delivery pass failed; retrying at the next poll.');
      }
      if (stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs);
        wakeUp = () => { clearTimeout(timer); resolve(); };
      });
    }
  })();
  return {
    wake: () => wakeUp?.(),
    stop: async (graceMs = 5000) => {
      stopping = true;
      wakeUp?.();
      const grace = setTimeout(() => abort.abort(new SinkError('shutting down')), graceMs);
      await loop;
      clearTimeout(grace);
      await Promise.allSettled(sinks.map((s) => s.close?.()));
    },
  };
}
