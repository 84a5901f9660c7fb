import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertRow } from '../detectors/alert.js';
import { createLogger } from '../service/log.js';
import { createNdjsonSink, ndjsonSchema } from './ndjson.js';
import { SinkError, type Sink } from './sink.js';

function alert(i: number): AlertRow {
  return {
    alert_id: `alert-${i}`, detector_id: 'storage.egress-above-baseline', title: 'Egress above baseline', severity: 'high',
    tactics: ['Exfiltration'], techniques: ['T1530'], time_generated: Date.UTC(2025, 10, 14) + i, first_event_time: Date.UTC(2025, 10, 13),
    last_event_time: Date.UTC(2025, 10, 14), principal_id: null, principal_name: null, app_id: null, caller_ip: '198.51.100.9',
    resource_id: null, event_count: i, evidence: { event_ids: [`e${i}`], bytes_out: i * 1000 }, description: 'd', remediation: 'r',
  };
}

const ctx = { name: 'ndjson', log: createLogger('silent'), credential: () => { throw new Error('unused'); } };
const never = new AbortController().signal;
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function lines(path: string): Promise<Record<string, unknown>[]> {
  return (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('ndjson sink', () => {
  it('appends one JSON line per alert with ISO times, creating parent folders', async () => {
    dir = await mkdtemp(join(tmpdir(), 'auditlake-ndjson-'));
    const path = join(dir, 'a', 'b', 'alerts.ndjson');
    const sink = createNdjsonSink(ndjsonSchema.parse({ path }), ctx);
    await sink.send([alert(1), alert(2)], never);
    await sink.send([alert(3)], never);
    const got = await lines(path);
    expect(got.map((l) => l.alert_id)).toEqual(['alert-1', 'alert-2', 'alert-3']);
    expect(got[0]).toMatchObject({ time_generated: '2025-11-14T00:00:00.001Z', evidence: { event_ids: ['e1'], bytes_out: 1000 } });
    expect(ndjsonSchema.parse({ path })).toMatchObject({ maxBytes: 100 * 1024 * 1024, keepFiles: 10 });
  });

  /** The alert ids in the files, oldest file first, checking each file's size on the way. */
  async function idsAcross(path: string, maxBytes: number): Promise<string[]> {
    const names = (await readdir(dirname(path))).filter((n) => n.startsWith('alerts.ndjson'));
    const order = (n: string): number => (n === 'alerts.ndjson' ? 0 : Number(n.split('.').at(-1)));
    const ids: string[] = [];
    for (const name of names.sort((a, b) => order(b) - order(a))) {
      const file = join(dirname(path), name);
      expect(Buffer.byteLength(await readFile(file))).toBeLessThanOrEqual(maxBytes);
      ids.push(...(await lines(file)).map((l) => String(l.alert_id)));
    }
    return ids;
  }
  const batches = async (sink: Sink, from: number, total: number, size: number): Promise<void> => {
    for (let i = from; i < from + total; i += size) {
      await sink.send(Array.from({ length: Math.min(size, from + total - i) }, (_, j) => alert(i + j)), never);
    }
  };

  it('rotates by size: no file over maxBytes, and no line lost or torn across rotations', async () => {
    dir = await mkdtemp(join(tmpdir(), 'auditlake-ndjson-'));
    const path = join(dir, 'alerts.ndjson');
    const sink = createNdjsonSink(ndjsonSchema.parse({ path, maxBytes: 4096, keepFiles: 100 }), ctx);
    await batches(sink, 0, 300, 7); // batches of 7 straddle the rotations
    const files = await readdir(dir);
    expect(files.length).toBeGreaterThan(10);
    expect(await idsAcross(path, 4096)).toEqual(Array.from({ length: 300 }, (_, i) => `alert-${i}`));
  });

  it('keeps keepFiles rotated files, dropping the oldest', async () => {
    dir = await mkdtemp(join(tmpdir(), 'auditlake-ndjson-'));
    const path = join(dir, 'alerts.ndjson');
    const sink = createNdjsonSink(ndjsonSchema.parse({ path, maxBytes: 4096, keepFiles: 3 }), ctx);
    await batches(sink, 0, 300, 50); // a batch bigger than a file is split across files
    expect((await readdir(dir)).sort()).toEqual(['alerts.ndjson', 'alerts.ndjson.1', 'alerts.ndjson.2', 'alerts.ndjson.3']);
    const ids = await idsAcross(path, 4096);
    expect(ids.length).toBeGreaterThan(20);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => `alert-${300 - ids.length + i}`));
  });

  it('starts a new line after a line torn by a crash', async () => {
    dir = await mkdtemp(join(tmpdir(), 'auditlake-ndjson-'));
    const path = join(dir, 'alerts.ndjson');
    await writeFile(path, `${JSON.stringify({ alert_id: 'ok' })}\n`);
    await appendFile(path, '{"alert_id":"torn'); // a crash mid-write
    await createNdjsonSink(ndjsonSchema.parse({ path }), ctx).send([alert(1)], never);
    const text = (await readFile(path, 'utf8')).split('\n');
    expect(text[1]).toBe('{"alert_id":"torn');
    expect(JSON.parse(text[2]!).alert_id).toBe('alert-1');
  });

  it('throws a SinkError when the file cannot be written', async () => {
    dir = await mkdtemp(join(tmpdir(), 'auditlake-ndjson-'));
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const sink = createNdjsonSink(ndjsonSchema.parse({ path: join(blocker, 'alerts.ndjson') }), ctx);
    const err = await sink.send([alert(1)], never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).message).toMatch(/ndjson: cannot write .*not-a-dir\/alerts\.ndjson/);
  });
});
