/**
 * The delivery loop over a real outbox (a DuckDB file): what is due, retries with backoff and
 * Retry-After, skipped alerts, and updates delivered again under the same id. The sink here is
 * scripted (it fails when told to); the real sinks are tested against their own peers.
 */
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertRow } from '../detectors/alert.js';
import { createLogger } from '../service/log.js';
import { Store } from '../store/duckdb.js';
import type { Outbox } from '../store/outbox.js';
import { backoffMs, deliverDue, deliverUntil, DEFAULT_DELIVERY, startDeliveryLoop } from './delivery.js';
import { atLeast, SinkError, type Sink } from './sink.js';

const log = createLogger('silent');
const fast = { ...DEFAULT_DELIVERY, initialBackoffMs: 50, maxBackoffMs: 200 };

function alert(id: string, overrides: Partial<AlertRow> = {}): AlertRow {
  return {
    alert_id: id, detector_id: 'keyvault.mass-secret-read', title: `alert ${id}`, severity: 'high', tactics: ['CredentialAccess'], techniques: ['T1555.006'],
    time_generated: Date.UTC(2026, 10, 1), first_event_time: Date.UTC(2026, 10, 1), last_event_time: Date.UTC(2026, 10, 1),
    principal_id: 'p1', principal_name: 'mei@contoso.example', app_id: null, caller_ip: '203.0.113.7', resource_id: '/subscriptions/s/x',
    event_count: 3, evidence: { event_ids: ['e1', 'e2'] }, description: 'd', remediation: 'r', ...overrides,
  };
}

/** A sink that records what it got and fails while `failures` has entries. */
function scripted(name: string, failures: Array<SinkError | Error> = [], filter?: AlertRow['severity']) {
  const sent: AlertRow[][] = [];
  const sink: Sink = {
    name,
    maxBatch: 2,
    accepts: atLeast(filter),
    send: async (alerts) => {
      const failure = failures.shift();
      if (failure) throw failure;
      sent.push([...alerts]);
    },
  };
  return { sink, sent };
}

let dir: string;
let store: Store;
let outbox: Outbox;

async function raise(alerts: AlertRow[]): Promise<void> {
  await store.commitBatch({ stages: [], events: [], rejects: [], checkpoints: [] }, () => ({ alerts }));
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'auditlake-delivery-'));
  store = await Store.open(join(dir, 'a.duckdb'));
  outbox = await store.outbox();
});
afterEach(() => {
  outbox.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('delivery', () => {
  it('sends every due alert in batches of the sink size, once, and records them delivered', async () => {
    await raise([alert('a'), alert('b'), alert('c')]);
    const { sink, sent } = scripted('s');
    expect(await deliverDue(outbox, [sink], fast, log)).toEqual({ delivered: 3, skipped: 0, failed: 0 });
    expect(sent.map((b) => b.map((a) => a.alert_id))).toEqual([['a', 'b'], ['c']]);
    expect(sent[0]![0]).toEqual(alert('a'));
    expect(await deliverDue(outbox, [sink], fast, log)).toEqual({ delivered: 0, skipped: 0, failed: 0 });
    expect(await outbox.pending(['s'])).toEqual([]);
  });

  it('retries a failed batch after its backoff, honours Retry-After, and loses nothing', async () => {
    const slow = { ...DEFAULT_DELIVERY, initialBackoffMs: 400, maxBackoffMs: 3000 }; // Retry-After is capped at maxBackoffMs
    await raise([alert('a')]);
    const { sink, sent } = scripted('s', [new SinkError('500 Internal Server Error'), new SinkError('429 Too Many Requests', { retryAfterMs: 2000 })]);
    expect((await deliverDue(outbox, [sink], slow, log)).failed).toBe(1);
    const [first] = await outbox.pending(['s']);
    expect(first).toMatchObject({ alert_id: 'a', attempts: 1, last_error: '500 Internal Server Error' });
    expect(first!.next_attempt_at! - Date.now()).toBeLessThanOrEqual(600);
    expect(await outbox.due('s', 10)).toEqual([]); // not before its backoff
    await new Promise((r) => setTimeout(r, 650));
    expect((await deliverDue(outbox, [sink], slow, log)).failed).toBe(1);
    const [second] = await outbox.pending(['s']);
    expect(second).toMatchObject({ attempts: 2, last_error: '429 Too Many Requests' });
    expect(second!.next_attempt_at! - Date.now()).toBeGreaterThan(1500); // Retry-After, not the backoff (800 ms ± 50 %)
    await new Promise((r) => setTimeout(r, 2050));
    expect((await deliverDue(outbox, [sink], slow, log)).delivered).toBe(1);
    expect(sent.flat().map((a) => a.alert_id)).toEqual(['a']);
  });

  it('delivers an alert again, under the same id, when suppression updates it', async () => {
    await raise([alert('a')]);
    const { sink, sent } = scripted('s');
    await deliverDue(outbox, [sink], fast, log);
    await raise([alert('a', { event_count: 9, time_generated: Date.UTC(2026, 10, 1, 1), last_event_time: Date.UTC(2026, 10, 1, 1) })]);
    await deliverDue(outbox, [sink], fast, log);
    expect(sent.flat().map((a) => [a.alert_id, a.event_count])).toEqual([['a', 3], ['a', 9]]);
  });

  it('marks alerts a sink filters out as skipped, and keeps sinks independent', async () => {
    await raise([alert('low', { severity: 'low' }), alert('high')]);
    const paging = scripted('pager', [], 'high');
    const broken = scripted('broken', [new Error('connection refused')]);
    const counts = await deliverDue(outbox, [broken.sink, paging.sink], fast, log);
    expect(counts).toEqual({ delivered: 1, skipped: 1, failed: 2 });
    expect(paging.sent.flat().map((a) => a.alert_id)).toEqual(['high']);
    expect((await outbox.pending(['pager', 'broken'])).map((p) => `${p.sink}:${p.alert_id}`)).toEqual(['broken:high', 'broken:low']);
    expect(await outbox.redeliver('pager', 0)).toBe(2);
    expect((await outbox.pending(['pager'])).map((p) => p.alert_id)).toEqual(['high', 'low']);
  });

  it('runs as a loop that a commit wakes, and stops cleanly', async () => {
    const { sink, sent } = scripted('s');
    const loop = startDeliveryLoop(outbox, [sink], { ...fast, pollMs: 60_000 }, log);
    await raise([alert('a')]);
    loop.wake();
    // Waited for, up to 10 s, not guessed: 1 s was not enough once on a machine running the whole suite.
    for (let i = 0; i < 500 && sent.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await loop.stop();
    expect(sent.flat().map((a) => a.alert_id)).toEqual(['a']);
  });

  it('pauses the whole sink on Retry-After: alerts raised afterwards wait too, also after a restart', async () => {
    const slow = { ...DEFAULT_DELIVERY, initialBackoffMs: 50, maxBackoffMs: 5000 };
    await raise([alert('a')]);
    // Long enough to outlast the steps below on a busy machine; the end is waited for, not guessed.
    const { sink, sent } = scripted('s', [new SinkError('429 Too Many Requests', { retryAfterMs: 3000 })]);
    const failedAt = Date.now();
    expect((await deliverDue(outbox, [sink], slow, log)).failed).toBe(1);
    await raise([alert('b', { time_generated: Date.UTC(2026, 10, 2) })]);
    // b was never sent, yet it is not due: the receiver asked for 3 s of quiet.
    expect(await outbox.due('s', 10)).toEqual([]);
    expect(await deliverDue(outbox, [sink], slow, log)).toEqual({ delivered: 0, skipped: 0, failed: 0 });
    // The pause is stored: a new process (here: the file reopened) honours it too.
    outbox.close();
    store.close();
    store = await Store.open(join(dir, 'a.duckdb'));
    outbox = await store.outbox();
    const until = (await outbox.pausedUntil('s'))!;
    expect(until).toBeGreaterThanOrEqual(failedAt + 3000);
    expect(await outbox.due('s', 10, until - 1)).toEqual([]);
    // `alerts --pending` says so beside each of the sink's alerts, the one never sent included.
    expect((await outbox.pending(['s'])).map((p) => [p.alert_id, p.sink_paused_until])).toEqual([['a', until], ['b', until]]);
    // Other sinks are not paused.
    expect((await outbox.due('other', 10)).map((a) => a.alert_id)).toEqual(['a', 'b']);
    await new Promise((r) => setTimeout(r, until - Date.now() + 50));
    expect((await deliverDue(outbox, [sink], slow, log)).delivered).toBe(2);
    expect(sent.flat().map((a) => a.alert_id)).toEqual(['a', 'b']);
  });

  it('waits at most maxBackoffMs for a far-future Retry-After, and says so in the log', async () => {
    const lines: string[] = [];
    const capture = createLogger('warn', new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
    await raise([alert('a')]);
    const { sink } = scripted('s', [new SinkError('429', { retryAfterMs: 10 * 365 * 86_400_000 })]);
    await deliverDue(outbox, [sink], { ...DEFAULT_DELIVERY, initialBackoffMs: 50, maxBackoffMs: 300 }, capture);
    const [row] = await outbox.pending(['s']);
    expect(row!.next_attempt_at! - Date.now()).toBeLessThanOrEqual(300);
    expect((await outbox.pausedUntil('s'))! - Date.now()).toBeLessThanOrEqual(300);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(expect.objectContaining({ msg: expect.stringMatching(/Retry-After is longer than delivery.maxBackoffSeconds/), retryAfterMs: 10 * 365 * 86_400_000, maxBackoffMs: 300 }));
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'Alert delivery failed; will retry.', retryAfterMs: 300 }));
  });

  it('leaves no abort listener behind per round: many rounds of deliverUntil and deliverDue raise no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      await raise([alert('a')]);
      // Always failing, retried every ~10 ms: a 1.5 s deadline is well over 10 rounds of waiting.
      const failing: Sink = { name: 's', maxBatch: 10, accepts: () => true, send: async () => { throw new SinkError('503'); } };
      const quick = { ...DEFAULT_DELIVERY, initialBackoffMs: 10, maxBackoffMs: 10 };
      const result = await deliverUntil(outbox, [failing], quick, log, 1500);
      expect(result).toEqual({ delivered: 0, pending: 1 });
      // `run`'s loop passes one long-lived signal to every round.
      const stop = new AbortController();
      for (let i = 0; i < 30; i++) await deliverDue(outbox, [failing], { ...quick, initialBackoffMs: 0, maxBackoffMs: 0 }, log, stop.signal);
      expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
      await new Promise((r) => setTimeout(r, 50)); // warnings are emitted on a later tick
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('backs off exponentially with jitter, capped', () => {
    const opts = { ...DEFAULT_DELIVERY, initialBackoffMs: 1000, maxBackoffMs: 60_000 };
    expect(backoffMs(1, opts, () => 0.5)).toBe(1000);
    expect(backoffMs(4, opts, () => 0.5)).toBe(8000);
    expect(backoffMs(40, opts, () => 0.5)).toBe(60_000);
    expect(backoffMs(1, opts, () => 0)).toBe(500);
    expect(backoffMs(1, opts, () => 0.999)).toBeLessThan(1500);
  });
});
