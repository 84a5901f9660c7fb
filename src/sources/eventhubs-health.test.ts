import { afterEach, describe, expect, it, vi } from 'vitest';
import { hubHealth } from './eventhubs.js';
import { ERROR_GRACE_MS } from './source.js';

type Hub = ReturnType<typeof hubHealth>;

/** One receive cycle of partition 0, ended: with `events` of them, or on its timer (0). */
function cycle(h: Hub, events = 0): void {
  h.received('0', events);
  h.handled('0');
}

/** A hub with local positions whose partition 0 is claimed and has received, on a clock the test sets. */
function receivingHub(): { h: Hub; t0: number } {
  vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z'), toFake: ['Date'] });
  const h = hubHealth('logs', false, 200);
  h.claimed('0');
  cycle(h);
  return { h, t0: Date.now() };
}

describe('Event Hubs readiness with blob checkpoints', () => {
  it("forgets a stopped pump's error once another instance owns its partition, and not before", () => {
    const h = hubHealth('logs', true, 1000);
    h.listed([], 'me');
    h.claimed('0');
    cycle(h);
    // The pump gave up (an error it could not retry) and closed without OwnershipLost.
    h.failed('0', new Error('connection lost'));
    h.released('0', false);
    const later = Date.now() + ERROR_GRACE_MS + 1000;
    expect(h.health(later)).toMatchObject({ ready: false, reason: expect.stringContaining('partition 0: connection lost') });
    // Still listed as this instance's: the processor may claim it again here, so the error stands.
    h.listed([{ partitionId: '0', ownerId: 'me' }], 'me');
    expect(h.health(later).ready).toBe(false);
    h.listed([{ partitionId: '0', ownerId: 'other-instance' }], 'me');
    expect(h.health(later)).toEqual({ ready: true });
  });

  afterEach(() => { vi.useRealTimers(); });

  it('a namespace probe that fails fails the hub past the grace, whatever idle receive cycles say; an answered probe clears it', () => {
    const { h, t0 } = receivingHub();
    h.probed(new Error("no answer to a request for the hub's properties in 10 s"));
    for (let t = t0; t <= t0 + ERROR_GRACE_MS; t += 200) {
      vi.setSystemTime(t);
      cycle(h);
    }
    expect(h.health()).toEqual({ ready: false, reason: "hub logs: the namespace: no answer to a request for the hub's properties in 10 s (failing for 10 s)" });
    h.probed();
    expect(h.health()).toEqual({ ready: true });
    // Events arriving prove the namespace answers, as an answered probe does; an empty cycle does not.
    h.probed(new Error('no answer'));
    vi.setSystemTime(t0 + 3 * ERROR_GRACE_MS);
    cycle(h, 0);
    expect(h.health().ready).toBe(false);
    cycle(h, 3);
    expect(h.health()).toEqual({ ready: true });
  });

  it('a partition whose reader keeps trying (still claimed) fails once it has had no receive cycle past the grace, naming its last error; receiving clears it', () => {
    const { h, t0 } = receivingHub();
    // The reader's first round of retries ends ~5 s into the outage; it goes on trying.
    vi.setSystemTime(t0 + 5_000);
    h.failed('0', new AggregateError([new Error('connect ECONNREFUSED 127.0.0.1:5671')]));
    expect(h.health(t0 + 10_000).ready).toBe(true);
    expect(h.health(t0 + 10_500)).toEqual({ ready: false, reason: 'hub logs, partition 0: connect ECONNREFUSED 127.0.0.1:5671 (no receive cycle for 11 s)' });
    vi.setSystemTime(t0 + 20_000);
    cycle(h);
    expect(h.health()).toEqual({ ready: true });
  });
});
