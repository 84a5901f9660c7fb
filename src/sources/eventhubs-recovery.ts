/**
 * Keeps @azure/event-hubs' partition readers reading through a namespace outage, so that they
 * read again within ~4 s of its return. Before, against the AMQP peer: 5–25 s with local
 * positions and 16–26 s with blob checkpoints (ownership expiring after 6 s), after an outage
 * of 5 or 15 s; with the default 60 s ownership expiry, until that.
 *
 * The SDK's partition pump goes on after a retryable error: it reopens its receiver after the
 * last event it handed to processEvents (partitionPump.js, _receiveEvents). But its receiver
 * retries on its own first (the client's retryOptions: 3 retries, 0.5–3.5 s apart), and
 * core-amqp's `retry` reports retries that all failed as an `AggregateError` of their errors,
 * which has no `retryable` of its own: so the pump takes a connection refused for ~5 s as
 * fatal, closes (processClose, reason Shutdown) and leaves the partition to the processor's
 * loop. That loop starts a pump again only
 * - after a `$management` call to the namespace that it makes without the client's
 *   retryOptions (eventProcessor.js, _runLoopWithLoadBalancing), so with core-amqp's defaults:
 *   30 s between attempts (60 s per attempt when nothing answers); with local positions only
 *   every 10 s besides (updateIntervalInMs, which we did not set);
 * - with blob checkpoints, also only after the partition's ownership has expired (the dead
 *   pump's partition still counts as this instance's, and only a receiving pump renews it).
 * loadBalancingOptions can shorten the loop's interval and the ownership's expiry, but no option
 * reaches the 30 s: the loop still waits on its own retry of the namespace.
 *
 * So when every attempt failed on a retryable error, the error handler (which the pump awaits
 * before it looks at `retryable`) marks it retryable: the pump then keeps trying, each round
 * with the client's own retries and backoff, and resumes after the last event it handed over
 * — the position the next batch must start from for nothing to be read twice or skipped.
 * Not marked: errors of our own processEvents (the pump would skip that batch), any
 * non-retryable error (credentials, a missing hub, a partition stolen by an owner level), and
 * with blob checkpoints a partition the blob store does not name this instance the owner of
 * (or that cannot be asked): there the SDK's own path stands, so a partition another instance
 * has claimed is not read here again.
 */

/** All attempts failed, each on an error the SDK calls retryable (a connection refused, reset, or lost). */
export function retriesExhausted(err: unknown): err is AggregateError {
  return err instanceof AggregateError && err.errors.length > 0
    && err.errors.every((e) => typeof e === 'object' && e !== null && (e as { retryable?: unknown }).retryable === true);
}

/** How long processError waits for the blob store to say who owns a partition before it lets the pump close. */
export const OWNER_CHECK_TIMEOUT_MS = 5_000;

export class PumpKeeper {
  /** Errors thrown by our processEvents: the pump must not read past their batch. */
  private readonly ownErrors = new WeakSet<object>();

  /**
   * @param ownedHere with blob checkpoints: whether the store still names this instance the
   * partition's owner; undefined with local positions (one instance owns every partition).
   */
  constructor(private readonly ownedHere?: (partitionId: string, signal: AbortSignal) => Promise<boolean>) {}

  /** Wraps processEvents' own failures so that they are not taken for the receiver's. */
  async handling<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (typeof err === 'object' && err !== null) this.ownErrors.add(err);
      throw err;
    }
  }

  /** From processError, which the pump awaits: true when the pump will go on reading (the error marked retryable). */
  async keep(err: unknown, partitionId: string): Promise<boolean> {
    if (!partitionId || !retriesExhausted(err) || this.ownErrors.has(err)) return false;
    if (this.ownedHere) {
      const owned = await this.ownedHere(partitionId, AbortSignal.timeout(OWNER_CHECK_TIMEOUT_MS)).catch(() => false);
      if (!owned) return false;
    }
    (err as AggregateError & { retryable?: boolean }).retryable = true;
    return true;
  }
}
