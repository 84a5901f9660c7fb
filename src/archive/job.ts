/**
 * The archive job that `run` repeats and `compact` runs once: export the whole days no export
 * holds yet, then apply retention — which, when export is configured, deletes only what an
 * export holds (the `exports` table says what that is). An export that fails leaves its days
 * unexported, so retention keeps them and the next run exports them again.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportProgress, ExportResult, RetentionResult } from '../store/archive.js';
import { startOfDay } from '../store/archive.js';
import type { Store } from '../store/duckdb.js';
import { stagingDirFor, type Destination } from './destination.js';

const DAY_MS = 86_400_000;

export interface ArchivePolicy {
  destination?: Destination;
  retainDays?: number;
}

export interface ArchiveOutcome {
  exported: ExportResult | null;
  retention: RetentionResult | null;
}

/** Exports the whole days around [sinceMs, untilMs) to the destination, through the staging folder, and records it. */
export async function exportDays(store: Store, destination: Destination, sinceMs: number, untilMs: number,
  onDay?: (progress: ExportProgress) => void): Promise<ExportResult> {
  const staging = stagingDirFor(store.path);
  // DuckDB may write only below the staging folder (see reader.ts), not to the folder itself.
  const staged = join(staging, 'days');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const archive = await store.archive();
  try {
    return await archive.exportDays(staged, destination.name, sinceMs, untilMs, {
      publish: () => destination.publish(staged),
      heldFiles: (partitions) => destination.fetchHeld(partitions, join(staging, 'held')),
      onDay,
    });
  } finally {
    archive.close();
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Exports every complete day (before today, UTC) that holds an event no export has. */
export async function exportPending(store: Store, destination: Destination, now = Date.now()): Promise<ExportResult | null> {
  const archive = await store.archive();
  let first: number | null;
  try {
    first = await archive.firstUnexported(destination.name);
  } finally {
    archive.close();
  }
  const until = startOfDay(now);
  if (first === null || first >= until) return null;
  return exportDays(store, destination, first, until);
}

export async function archiveOnce(store: Store, policy: ArchivePolicy, now = Date.now()): Promise<ArchiveOutcome> {
  const exported = policy.destination ? await exportPending(store, policy.destination, now) : null;
  let retention: RetentionResult | null = null;
  if (policy.retainDays !== undefined) {
    const archive = await store.archive();
    try {
      retention = await archive.applyRetention(now - policy.retainDays * DAY_MS, policy.destination?.name);
    } finally {
      archive.close();
    }
  }
  return { exported, retention };
}
