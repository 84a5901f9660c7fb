import { describe, expect, it } from 'vitest';
import { hubHealth } from './eventhubs.js';
import { ERROR_GRACE_MS } from './source.js';

describe('Event Hubs readiness with blob checkpoints', () => {
  it("forgets a stopped pump's error once another instance owns its partition, and not before", () => {
    const h = hubHealth('logs', true, 1000);
    h.listed([], 'me');
    h.claimed('0');
    h.received('0');
    h.handled('0');
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
});
