/**
 * `sources.eventhubs`: diagnostic settings stream into Event Hubs (`insights-logs-<category>`,
 * `insights-activity-logs`); this reads them with the real EventHubConsumerClient.
 *
 * Positions: `local` keeps them only in the `checkpoints` table, committed with the rows — one
 * instance, every record stored once across crashes. `blob` adds a blob checkpoint store for
 * several instances sharing a consumer group with partition load balancing; each instance has
 * its own database and its positions still commit with its rows (see eventhubs-positions.ts).
 */
import { CloseReason, EventHubConsumerClient, earliestEventPosition, latestEventPosition, RetryMode, type EventPosition, type ReceivedEventData, type PartitionContext, type PartitionOwnership, type Subscription } from '@azure/event-hubs';
import { AuditlakeError, errorMessage } from '../errors.js';
import { checkpointSource, namespaceOf, type EventHubsConfig } from './eventhubs-config.js';
import { boundEventHubsPrefetch } from './eventhubs-credit.js';
import { unitsFromMessages } from './message.js';
import { PumpKeeper } from './eventhubs-recovery.js';
import { ERROR_GRACE_MS, HealthTracker, reasonOf, type RunningSource, type SourceContext, type SourceHealth } from './source.js';
import { formatPosition, parsePosition, StoredFirstCheckpointStore, type EventHubsPosition } from './eventhubs-positions.js';

export async function startEventHubs(config: EventHubsConfig, ctx: SourceContext): Promise<RunningSource> {
  boundEventHubsPrefetch(); // else idle time piles up link credit past prefetchCount (eventhubs-credit.ts)
  const running = await Promise.all(config.hubs.map((hub) => startHub(config, hub, ctx)));
  return {
    stop: async () => { await Promise.all(running.map((r) => r.stop())); },
    // Every hub must consume: the first that does not says why.
    health: () => running.map((r) => r.health()).find((h) => !h.ready) ?? { ready: true },
  };
}

/**
 * Readiness of one hub's consumer, per part: each claimed partition, and the processor's own
 * loop (listing partitions, and with blob checkpoints listing and claiming ownership).
 * - A partition succeeds on every receive cycle: processEvents runs after each one, with an
 *   empty array when maxWaitTimeSeconds passed with nothing new, so an idle hub stays ready.
 *   A claimed partition whose last cycle ended longer ago than that plus ERROR_GRACE_MS fails
 *   too (unless its batch is waiting for the store): once a connection is found dead, each of
 *   the SDK's attempts to reconnect to a namespace that does not answer (rather than refuse)
 *   can wait 60 s before it counts as an error.
 * - An idle cycle ends on a timer, without the network, so it says nothing of a namespace that
 *   stopped answering with its connection still open: the SDK notices that only at AMQP's idle
 *   timeout, and the readers went on with empty cycles for ~2 minutes (measured against a
 *   mute proxy) while events waited in the hub. So the namespace is asked for the hub's
 *   properties every PROBE_MS, on the connection the readers use: a probe that fails or gets no
 *   answer within PROBE_TIMEOUT_MS fails the hub until one succeeds or events arrive (an
 *   empty cycle does not count).
 * - The loop succeeds when the blob store lists ownership (the SDK asks the namespace for the
 *   partitions just before, every updateIntervalSeconds), so an instance left holding no
 *   partition, its peers having them all, stays ready; with local positions the loop has no
 *   signal of its own (the SDK keeps ownership in memory), so a receive cycle counts for it, as
 *   does listing the partitions at start.
 * - Errors come through processError, each after the SDK's retries: with a partition id from a
 *   pump, without one from the loop (connections, $cbs tokens, the blob store). A pump whose
 *   retries all failed on retryable errors goes on trying (eventhubs-recovery.ts), its
 *   partition still claimed: the partition's rule above then fails it, naming its last error.
 */
export function hubHealth(hub: string, blob: boolean, maxWaitMs: number) {
  const tracker = new HealthTracker(`hub ${hub}: nothing received yet, no partition claimed`);
  const partition = (id: string) => `hub ${hub}, partition ${id}`;
  const loop = `hub ${hub}`;
  const probe = `hub ${hub}: the namespace`;
  /** Claimed partitions: when their last receive cycle ended, or null while their batch is being handed over. */
  const cycles = new Map<string, number | null>();
  /** The last error of each claimed partition since it last received. */
  const errors = new Map<string, string>();
  return {
    claimed: (id: string) => cycles.set(id, Date.now()),
    /** A receive cycle ended, with `events` of them (0 when it ended on its timer). */
    received: (id: string, events = 0) => {
      cycles.set(id, null);
      errors.delete(id);
      tracker.ok(partition(id));
      if (!blob) tracker.ok(loop);
      // Events came over the network: the namespace answers, whatever an unanswered probe said.
      if (events > 0) tracker.forget(probe);
    },
    handled: (id: string) => { if (cycles.has(id)) cycles.set(id, Date.now()); },
    /**
     * The loop reached the store. A partition another instance owns now is not this one's any
     * more: a pump here that stopped on an error (closed without OwnershipLost) kept its error.
     */
    listed: (ownership: readonly Pick<PartitionOwnership, 'partitionId' | 'ownerId'>[] = [], self?: string) => {
      tracker.ok(loop);
      for (const o of ownership) if (self !== undefined && o.ownerId !== self) tracker.forget(partition(o.partitionId));
    },
    /** The namespace answered a probe, or did not (an error, or no answer in time). */
    probed: (err?: unknown) => (err === undefined ? tracker.forget(probe) : tracker.error(probe, err)),
    failed: (id: string, err: unknown) => {
      if (id) errors.set(id, reasonOf(err));
      tracker.error(id ? partition(id) : loop, err);
    },
    // Another instance reads it now; any other close (an error the pump could not retry) keeps
    // the error until the partition receives again, as the processor claims it anew.
    released: (id: string, lost: boolean) => {
      cycles.delete(id);
      errors.delete(id);
      if (lost) tracker.forget(partition(id));
    },
    health: (now = Date.now()): SourceHealth => {
      const h = tracker.health(now);
      if (!h.ready) return h;
      for (const [id, endedMs] of cycles) {
        if (endedMs !== null && now - endedMs > maxWaitMs + ERROR_GRACE_MS) {
          const seconds = Math.round((now - endedMs) / 1000);
          const error = errors.get(id);
          return { ready: false, reason: error ? `${partition(id)}: ${error} (no receive cycle for ${seconds} s)` : `${partition(id)}: no receive cycle for ${seconds} s (the namespace does not answer)` };
        }
      }
      return h;
    },
  };
}

async function startHub(config: EventHubsConfig, hub: string, ctx: SourceContext): Promise<RunningSource> {
  const namespace = namespaceOf(config);
  const source = checkpointSource(namespace, hub, config.consumerGroup);
  const log = ctx.log.child({ source });
  const stored = new Map<string, EventHubsPosition>();
  for (const [partition, text] of ctx.positions.get(source) ?? []) {
    const p = parsePosition(text);
    if (p) stored.set(partition, p);
    else log.warn({ partition }, 'Stored position is unreadable; the partition starts at the configured start position.');
  }
  const blob = config.checkpoints.store === 'blob' ? await blobStore(config.checkpoints, ctx) : undefined;
  const health = hubHealth(hub, blob !== undefined, config.maxWaitTimeSeconds * 1000);
  const clientOptions = {
    // Short SDK retries (0.5, 1.5 and 3.5 s apart): past them, a source that cannot start is
    // retried by startSources with its own backoff, and a partition reader that failed on a
    // retryable error tries again at once with these (PumpKeeper, eventhubs-recovery.ts), so it
    // reads again within ~4 s of the namespace's return.
    retryOptions: { maxRetries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 5000, mode: RetryMode.Exponential },
    ...(blob ? { loadBalancingOptions: {
      strategy: blob.strategy,
      updateIntervalInMs: blob.updateIntervalSeconds * 1000,
      partitionOwnershipExpirationIntervalInMs: blob.ownershipExpirationSeconds * 1000,
    } } : {}),
  };
  // The client is made with the store, so the store asks for its id only once it lists (after subscribe).
  const checkpointStore = blob && new StoredFirstCheckpointStore(blob.store, stored, (ownership) => health.listed(ownership, client.identifier));
  // One connection string serves every listed hub: its own EntityPath (if any) would contradict the others.
  const connectionString = config.connectionString?.replace(/;?\s*EntityPath=[^;]*/i, '');
  const client = connectionString
    ? (checkpointStore
      ? new EventHubConsumerClient(config.consumerGroup, connectionString, hub, checkpointStore, clientOptions)
      : new EventHubConsumerClient(config.consumerGroup, connectionString, hub, clientOptions))
    : (checkpointStore
      ? new EventHubConsumerClient(config.consumerGroup, namespace, hub, ctx.credential(), checkpointStore, clientOptions)
      : new EventHubConsumerClient(config.consumerGroup, namespace, hub, ctx.credential(), clientOptions));

  const fallback = config.startPosition === 'earliest' ? earliestEventPosition : latestEventPosition;
  let startPosition: EventPosition | Record<string, EventPosition> = fallback;
  if (!checkpointStore) {
    // One instance owns every partition: start each where the database says, the rest at the fallback.
    const ids = await client.getPartitionIds().catch((err: unknown) => {
      throw new AuditlakeError('source_unavailable', `Event Hub ${hub} on ${namespace}: cannot list partitions: ${errorMessage(err)}`, { cause: err });
    });
    startPosition = Object.fromEntries(ids.map((id) => {
      const p = stored.get(id);
      return [id, p ? { offset: p.offset, isInclusive: false } : fallback];
    }));
    health.listed(); // the namespace answered, token and all
  }

  /**
   * The claim each partition is held under now, a token per processInitialize. A batch moves
   * the blob checkpoint only under the claim it was read in: an ack arriving after the
   * partition was released (and perhaps claimed again, from a later checkpoint, by this
   * instance or another) would move it back. Such a batch's rows are still stored here, as
   * they were read: harmless for this database (its position commits with them), though the
   * partition's new owner may store them in its own too. Draining before the sources stop
   * (service.ts) keeps a graceful stop from leaving any batch in that state.
   */
  const claims = new Map<string, object>();
  // A partition reader that has run out of retries on a retryable error goes on (eventhubs-recovery.ts);
  // with blob checkpoints, only while the store still names this instance its owner.
  const keeper = new PumpKeeper(blob && (async (partitionId, abortSignal) => {
    const owners = await blob.store.listOwnership(client.fullyQualifiedNamespace, hub, config.consumerGroup, { abortSignal });
    return owners.some((o) => o.partitionId === partitionId && o.ownerId === client.identifier);
  }));
  /** Until when a partition reader that keeps trying is not logged again. */
  const quietUntil = new Map<string, number>();
  /** One receive cycle's events to the store's queue (waits there while the store is behind). */
  const handOver = async (events: ReceivedEventData[], context: PartitionContext) => {
    const last = events[events.length - 1];
    if (!last) return;
    const partition = context.partitionId;
    const where = `${namespace}/${hub}/${partition}`;
    const { units, rejects } = unitsFromMessages(
      events.map((e) => ({ body: e.body as Uint8Array, where: `sequence ${e.sequenceNumber}` })), `eventhubs:${where}`);
    const position = { offset: String(last.offset), sequenceNumber: last.sequenceNumber };
    // The service reports the partition's newest sequence number with each batch (no extra calls).
    const newest = context.lastEnqueuedEventProperties?.sequenceNumber;
    const claim = claims.get(partition);
    await ctx.push({
      units,
      rejects,
      checkpoints: [{ source, partition, position: formatPosition(position) }],
      ack: async () => {
        if (newest !== undefined) ctx.reportLag(source, partition, Math.max(0, newest - last.sequenceNumber));
        if (claim === undefined || claims.get(partition) !== claim) return;
        // After the rows: the SDK resumes a restarted pump, and other instances take over, from here.
        await context.updateCheckpoint(last).catch((err: unknown) => {
          log.warn({ partition, err }, 'Checkpoint not moved in the checkpoint store; the database has it.');
        });
      },
    });
  };
  const subscription: Subscription = client.subscribe({
    processInitialize: async (context) => {
      claims.set(context.partitionId, {});
      health.claimed(context.partitionId);
      log.info({ partition: context.partitionId }, 'Partition claimed.');
    },
    processClose: async (reason, context) => {
      claims.delete(context.partitionId);
      health.released(context.partitionId, reason === CloseReason.OwnershipLost);
      log.info({ partition: context.partitionId, reason }, 'Partition released.');
    },
    processError: async (err, context) => {
      const partition = context.partitionId;
      health.failed(partition, err);
      // Awaited by the pump before it decides whether to close.
      if (await keeper.keep(err, partition)) {
        // A round every ~5 s while the namespace is away: said once a minute per partition.
        const now = Date.now();
        if ((quietUntil.get(partition) ?? 0) > now) return;
        quietUntil.set(partition, now + 60_000);
        log.warn({ partition, err }, 'Event Hubs error; the partition reader keeps trying.');
        return;
      }
      log.warn({ partition: partition || undefined, err }, 'Event Hubs error; the client retries.');
    },
    processEvents: async (events: ReceivedEventData[], context: PartitionContext) => {
      health.received(context.partitionId, events.length);
      quietUntil.delete(context.partitionId);
      try {
        await keeper.handling(() => handOver(events, context));
      } finally {
        health.handled(context.partitionId);
      }
    },
  }, {
    startPosition,
    prefetchCount: config.prefetchCount,
    maxBatchSize: config.maxBatchSize,
    maxWaitTimeInSeconds: config.maxWaitTimeSeconds,
    skipParsingBodyAsJson: true,
    trackLastEnqueuedEventProperties: true,
  });

  log.info({ consumerGroup: config.consumerGroup, positions: config.checkpoints.store, resumed: stored.size }, 'Event Hubs consumer started.');
  const probing = probeNamespace(client, health.probed);

  return {
    health: () => health.health(),
    stop: async () => {
      probing.stop();
      await subscription.close();
      await client.close();
      log.info({}, 'Event Hubs consumer stopped.');
    },
  };
}

/** How often the namespace is asked whether it answers, and how long an answer may take. */
const PROBE_MS = 10_000;
const PROBE_TIMEOUT_MS = 10_000;

/**
 * Asks for the hub's properties every PROBE_MS, one request at a time, and reports each outcome:
 * the readers' idle cycles cannot tell a quiet hub from a namespace that stopped answering. A
 * request unanswered after PROBE_TIMEOUT_MS is reported then, though the SDK waits on it longer
 * (it did not give up on an abort signal here, only when the connection closes or at its own
 * 60 s timeout); the next request goes once it settles, so a dead connection never holds more
 * than one. Until then events arriving clear the failure (hubHealth's `received`).
 */
function probeNamespace(client: Pick<EventHubConsumerClient, 'getEventHubProperties'>, report: (err?: unknown) => void): { stop(): void } {
  let stopped = false;
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    const late = setTimeout(() => { if (!stopped) report(new Error(`no answer to a request for the hub's properties in ${PROBE_TIMEOUT_MS / 1000} s`)); }, PROBE_TIMEOUT_MS);
    client.getEventHubProperties()
      .then(() => { if (!stopped) report(); }, (err: unknown) => { if (!stopped) report(err); })
      .finally(() => { clearTimeout(late); inFlight = false; });
  }, PROBE_MS);
  timer.unref();
  return { stop: () => { stopped = true; clearInterval(timer); } };
}

async function blobStore(config: Extract<EventHubsConfig['checkpoints'], { store: 'blob' }>, ctx: SourceContext) {
  const { ContainerClient } = await import('@azure/storage-blob');
  const { BlobCheckpointStore } = await import('@azure/eventhubs-checkpointstore-blob');
  const container = config.connectionString
    ? new ContainerClient(config.connectionString, config.container!)
    : new ContainerClient(config.containerUrl!, ctx.credential());
  await container.createIfNotExists().catch((err: unknown) => {
    throw new AuditlakeError('source_unavailable', `blob checkpoint container ${container.containerName}: ${errorMessage(err)}`, { cause: err });
  });
  return { ...config, store: new BlobCheckpointStore(container) };
}
