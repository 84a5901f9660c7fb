/** What every source hands the pipeline: units to decode, what it refused itself, and where it is. */
import type { TokenCredential } from '@azure/core-auth';
import type { Unit } from '../decode/unit.js';
import type { Logger } from '../service/log.js';
import type { RejectRow } from '../schema/event.js';
import type { Checkpoint } from '../store/duckdb.js';
import { errorMessage } from '../errors.js';
import { redactSecrets } from '../schema/redact.js';

export interface SourceBatch {
  units: Unit[];
  /** Input the source could not turn into text (non-UTF-8 lines, truncated gzip, oversize lines). */
  rejects: RejectRow[];
  /** Positions to commit with this batch's rows (never before them). */
  checkpoints: Checkpoint[];
  /** Bytes of input consumed so far and in all, when known: for progress lines. */
  progress?: { bytesRead: number; bytesTotal: number; file: string };
  /**
   * Called once the transaction holding this batch has committed, in source order: where a
   * source also keeps its position outside the store (Kafka offsets, blob checkpoints), it
   * moves it here, after the rows, never before.
   */
  ack?: () => Promise<void>;
}

/** What a long-lived source (Event Hubs, Kafka) is given by `auditlake run`. */
export interface SourceContext {
  /** Where batches go; `push` waits while the store is behind (backpressure). */
  push(batch: SourceBatch): Promise<boolean>;
  /** Positions committed with the data, by `checkpoints.source`, then partition. */
  positions: ReadonlyMap<string, ReadonlyMap<string, string>>;
  log: Logger;
  credential: () => TokenCredential;
  /** Events behind the newest in a partition, when the source can tell. */
  reportLag(source: string, partition: string, lag: number): void;
}

export interface RunningSource {
  /** Stops fetching; batches already pushed still commit. Resolves once the source's clients are closed. */
  stop(): Promise<void>;
  /** Whether it consumes now, from its client's own signals (for /readyz and /metrics). */
  health(): SourceHealth;
}

/** `reason` says why not, redacted (it reaches /readyz and logs): a sentence naming the part that fails. */
export type SourceHealth = { ready: true } | { ready: false; reason: string };

/**
 * How long errors may go on with no success since before a source counts as failing. The Event
 * Hubs SDK reports an error only after its own retries (3, 0.5, 1.5 and 3.5 s apart: retryOptions
 * in eventhubs.ts), and then tries again: a blip it gets over within this does not flap
 * readiness, while a namespace that stays away turns /readyz 503 after this grace and those
 * retries (test/run-readiness.test.ts holds it under 25 s). Kafka has its own bound, the group's
 * session timeout (kafka.ts).
 */
export const ERROR_GRACE_MS = 10_000;

/** An error as a reason: one line, redacted, bounded. */
export function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  // The Event Hubs SDK gives up with an AggregateError of its attempts' errors, its own message empty.
  const inner = err instanceof AggregateError ? [...new Set(err.errors.map(errorMessage))].join('; ') : '';
  // Azure's messages run over lines, with request ids and times that say nothing here.
  const text = (errorMessage(err) || inner || (err instanceof Error ? err.name : 'unknown error')).split('\n')
    .map((l) => l.trim()).filter((l) => l && !/^(RequestId|Time):/.test(l)).join(' ').slice(0, 400);
  return redactSecrets(typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text);
}

/**
 * Health from successes and errors, kept per part of a source (a partition, the client's own
 * loop) so that one partition failing is not hidden by others receiving. Ready once anything
 * succeeded, while no part has failed for ERROR_GRACE_MS with no success of its own since.
 * Before the first success, any error is the reason at once: nothing has worked yet.
 */
export class HealthTracker {
  private succeeded = false;
  private readonly failing = new Map<string, { sinceMs: number; reason: string }>();

  constructor(private readonly waiting: string) {}

  ok(part: string): void {
    this.succeeded = true;
    this.failing.delete(part);
  }

  error(part: string, err: unknown): void {
    const reason = reasonOf(err);
    const f = this.failing.get(part);
    if (f) f.reason = reason;
    else this.failing.set(part, { sinceMs: Date.now(), reason });
  }

  /** The part is gone (a partition now read elsewhere): its errors are no longer this source's. */
  forget(part: string): void {
    this.failing.delete(part);
  }

  health(now = Date.now()): SourceHealth {
    for (const [part, f] of this.failing) {
      if (!this.succeeded || now - f.sinceMs >= ERROR_GRACE_MS) {
        const seconds = Math.round((now - f.sinceMs) / 1000);
        return { ready: false, reason: `${part}: ${f.reason}${seconds > 0 ? ` (failing for ${seconds} s)` : ''}` };
      }
    }
    return this.succeeded ? { ready: true } : { ready: false, reason: this.waiting };
  }
}
