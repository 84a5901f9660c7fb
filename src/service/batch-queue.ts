/**
 * Where push sources (Event Hubs handlers, Kafka's eachBatch) meet the pipeline's pull loop.
 * Bounded: a source's `push` waits while the queue is full, and since the SDKs do not hand a
 * partition its next batch until the handler returns, a slow store pauses consumption. What
 * auditlake holds is bounded by (queue + pipeline look-ahead); what the SDK prefetches is the
 * SDK's — the Event Hubs client can grant credit beyond `prefetchCount` while the sender lags
 * (bench/RESULTS.md, Azure/azure-sdk-for-js#39452).
 */
import type { SourceBatch } from '../sources/source.js';

export class BatchQueue implements AsyncIterable<SourceBatch> {
  private readonly items: SourceBatch[] = [];
  private readonly spaceWaiters: Array<() => void> = [];
  private itemWaiter: (() => void) | null = null;
  private closing = false;
  private ended = false;

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.items.length;
  }

  /**
   * Resolves once the batch is queued: true, or false when the queue is shutting down (the
   * batch is dropped uncommitted; its position was never stored, so it is delivered again).
   */
  async push(batch: SourceBatch): Promise<boolean> {
    while (this.items.length >= this.capacity && !this.closing) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    if (this.closing) return false;
    this.items.push(batch);
    this.wakeReader();
    return true;
  }

  /** Refuses further pushes and releases the sources waiting for space; queued batches still drain. */
  close(): void {
    this.closing = true;
    for (const w of this.spaceWaiters.splice(0)) w();
  }

  /** No more batches will come: the iterator ends once the queued ones are taken. */
  end(): void {
    this.close();
    this.ended = true;
    this.wakeReader();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SourceBatch> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        this.spaceWaiters.shift()?.();
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => { this.itemWaiter = resolve; });
    }
  }

  private wakeReader(): void {
    const w = this.itemWaiter;
    this.itemWaiter = null;
    w?.();
  }
}
