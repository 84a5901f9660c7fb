/**
 * `sinks.ndjson`: appends one JSON line per alert to a file, rotating by size
 * (`alerts.ndjson` → `alerts.ndjson.1` → … → `alerts.ndjson.<keepFiles>`, the oldest dropped).
 *
 * At least once: a batch retried after a crash between the write and the outbox's update is
 * written again, so readers dedupe on `alert_id` (a later line of the same id is an update).
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { AlertRow } from '../detectors/alert.js';
import { alertJson, atLeast, sinkCommon, SinkError, type Sink, type SinkContext } from './sink.js';

export const ndjsonSchema = z.strictObject({
  ...sinkCommon,
  /** The current file; parent folders are created. */
  path: z.string().min(1),
  /** Rotate before a line would take the file past this size (a single larger line still goes in whole). */
  maxBytes: z.int().min(1024).default(100 * 1024 * 1024),
  /** Rotated files kept besides the current one: `<path>.1` (newest) … `<path>.<keepFiles>`. */
  keepFiles: z.int().min(0).max(1000).default(10),
});

export type NdjsonSinkConfig = z.infer<typeof ndjsonSchema>;

export function createNdjsonSink(config: NdjsonSinkConfig, ctx: SinkContext): Sink {
  const { path, maxBytes, keepFiles } = config;
  // Sends never overlap: rotation renames files under a concurrent append otherwise.
  let tail: Promise<unknown> = Promise.resolve();

  async function sizeAndTail(): Promise<{ size: number; endsWithNewline: boolean }> {
    const file = await open(path, 'a+').catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await mkdir(dirname(path), { recursive: true });
      return open(path, 'a+');
    });
    try {
      const { size } = await file.stat();
      if (size === 0) return { size, endsWithNewline: true };
      const last = Buffer.alloc(1);
      await file.read(last, 0, 1, size - 1);
      return { size, endsWithNewline: last[0] === 0x0a };
    } finally {
      await file.close();
    }
  }

  async function append(text: string): Promise<void> {
    const file = await open(path, 'a');
    try {
      await file.writeFile(text);
      await file.sync(); // fsync per chunk: what the outbox marks delivered is on disk
    } finally {
      await file.close();
    }
  }

  // Renames are not fsynced through the directory: after a power cut a rotation may be undone,
  // which costs no line (the lines themselves were fsynced before it).
  async function rotate(): Promise<void> {
    if (keepFiles === 0) return rm(path, { force: true });
    await rm(`${path}.${keepFiles}`, { force: true });
    for (let i = keepFiles - 1; i >= 1; i--) {
      await rename(`${path}.${i}`, `${path}.${i + 1}`).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    await rename(path, `${path}.1`);
  }

  async function write(alerts: readonly AlertRow[]): Promise<void> {
    let { size, endsWithNewline } = await sizeAndTail();
    // A line torn by a crash stays one bad line instead of swallowing the next alert.
    let chunk = endsWithNewline ? '' : '\n';
    let chunkBytes = Buffer.byteLength(chunk);
    for (const alert of alerts) {
      const line = `${JSON.stringify(alertJson(alert))}\n`;
      const bytes = Buffer.byteLength(line);
      if (size + chunkBytes + bytes > maxBytes && size + chunkBytes > 0) {
        if (chunk) await append(chunk);
        await rotate();
        ctx.log.info({ sink: ctx.name, path }, 'Alert file rotated.');
        size = 0;
        chunk = '';
        chunkBytes = 0;
      }
      chunk += line;
      chunkBytes += bytes;
    }
    if (chunk) await append(chunk);
  }

  return {
    name: ctx.name,
    maxBatch: 500, // one fsync per 500 lines: cheap, and small enough to retry whole
    accepts: atLeast(config.minSeverity),
    async send(alerts, signal) {
      signal.throwIfAborted();
      const done = tail.then(() => write(alerts));
      tail = done.catch(() => undefined);
      try {
        await done;
      } catch (err) {
        throw new SinkError(`${ctx.name}: cannot write ${path} (${(err as Error).message})`, { cause: err });
      }
    },
  };
}
