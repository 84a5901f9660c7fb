/**
 * Event Hubs positions as auditlake keeps them: in the `checkpoints` table, committed with the
 * rows (so a crash anywhere stores every record once), and — for several instances sharing a
 * consumer group — also in a blob checkpoint store, moved only after the rows are committed.
 */
import type { Checkpoint as EventHubsCheckpoint, CheckpointStore, PartitionOwnership } from '@azure/event-hubs';

/** What one partition's row in `checkpoints.position` holds: enough to resume and to measure lag. */
export interface EventHubsPosition {
  offset: string;
  sequenceNumber: number;
}

export function formatPosition(p: EventHubsPosition): string {
  return JSON.stringify({ offset: p.offset, sequenceNumber: p.sequenceNumber });
}

/** Undefined for a row this version cannot read (hand-edited, say): the partition then starts at the configured position. */
export function parsePosition(text: string): EventHubsPosition | undefined {
  try {
    const p = JSON.parse(text) as Partial<EventHubsPosition>;
    if (typeof p.offset === 'string' && typeof p.sequenceNumber === 'number') return { offset: p.offset, sequenceNumber: p.sequenceNumber };
  } catch { /* falls through */ }
  return undefined;
}

/**
 * A blob checkpoint store whose checkpoints are never behind this instance's own database.
 * The blob is moved after the rows commit, so after a crash between the two the database is
 * ahead: resuming from the blob alone would deliver again what is already stored. When another
 * instance got further (it owned the partition meanwhile), its blob checkpoint wins.
 */
export class StoredFirstCheckpointStore implements CheckpointStore {
  /** `listed`: given the ownership each time it is listed, the processor's loop having reached the namespace and the store (readiness). */
  constructor(private readonly blob: CheckpointStore, private readonly stored: Map<string, EventHubsPosition>, private readonly listed: (ownership: PartitionOwnership[]) => void = () => undefined) {}

  async listOwnership(ns: string, hub: string, group: string): Promise<PartitionOwnership[]> {
    const ownership = await this.blob.listOwnership(ns, hub, group);
    this.listed(ownership);
    return ownership;
  }

  claimOwnership(ownerships: PartitionOwnership[]): Promise<PartitionOwnership[]> {
    return this.blob.claimOwnership(ownerships);
  }

  async updateCheckpoint(checkpoint: EventHubsCheckpoint): Promise<void> {
    this.stored.set(checkpoint.partitionId, { offset: checkpoint.offset, sequenceNumber: checkpoint.sequenceNumber });
    await this.blob.updateCheckpoint(checkpoint);
  }

  async listCheckpoints(ns: string, hub: string, group: string): Promise<EventHubsCheckpoint[]> {
    const byPartition = new Map((await this.blob.listCheckpoints(ns, hub, group)).map((c) => [c.partitionId, c]));
    for (const [partitionId, own] of this.stored) {
      const remote = byPartition.get(partitionId);
      if (!remote || remote.sequenceNumber < own.sequenceNumber) {
        byPartition.set(partitionId, { fullyQualifiedNamespace: ns, eventHubName: hub, consumerGroup: group, partitionId, ...own });
      }
    }
    return [...byPartition.values()];
  }
}
