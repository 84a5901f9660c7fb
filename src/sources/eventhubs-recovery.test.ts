import { MessagingError } from '@azure/event-hubs';
import { describe, expect, it } from 'vitest';
import { PumpKeeper, retriesExhausted } from './eventhubs-recovery.js';

/** What core-amqp's retry throws when every attempt failed: an AggregateError of the attempts' errors. */
function exhausted(...retryable: boolean[]): AggregateError {
  return new AggregateError(retryable.map((r) => Object.assign(new MessagingError('connect ECONNREFUSED 127.0.0.1:5671'), { retryable: r })));
}
const retryableOf = (err: unknown) => (err as { retryable?: unknown }).retryable;

describe('keeping a partition reader through an outage', () => {
  it('only retries that all failed on retryable errors count', () => {
    expect(retriesExhausted(exhausted(true, true, true, true))).toBe(true);
    expect(retriesExhausted(exhausted(true, true, false))).toBe(false); // e.g. the namespace came back without the hub
    expect(retriesExhausted(new AggregateError([]))).toBe(false);
    expect(retriesExhausted(Object.assign(new MessagingError('stolen'), { retryable: false, code: 'ReceiverDisconnectedError' }))).toBe(false);
    expect(retriesExhausted(new Error('x'))).toBe(false);
    expect(retriesExhausted(undefined)).toBe(false);
  });

  it('marks such an error retryable, so the SDK pump reopens its receiver after the last event it handed over', async () => {
    const keeper = new PumpKeeper();
    const err = exhausted(true, true);
    expect(await keeper.keep(err, '0')).toBe(true);
    expect(retryableOf(err)).toBe(true);
  });

  it('leaves the loop’s errors, non-retryable ones and those of our own processEvents alone', async () => {
    const keeper = new PumpKeeper();
    const loop = exhausted(true);
    expect(await keeper.keep(loop, '')).toBe(false);
    expect(retryableOf(loop)).toBeUndefined();
    const mixed = exhausted(true, false);
    expect(await keeper.keep(mixed, '1')).toBe(false);
    expect(retryableOf(mixed)).toBeUndefined();
    // Our handler failing must close the pump as before: going on would skip its batch.
    const own = exhausted(true);
    await expect(keeper.handling(async () => { throw own; })).rejects.toBe(own);
    expect(await keeper.keep(own, '1')).toBe(false);
    expect(retryableOf(own)).toBeUndefined();
    expect(await keeper.handling(async () => 7)).toBe(7);
  });

  it('with blob checkpoints, only while the store names this instance the owner, and not when the store cannot say', async () => {
    const owner = new Map([['0', true], ['1', false]]);
    const keeper = new PumpKeeper(async (id) => owner.get(id) ?? false);
    expect(await keeper.keep(exhausted(true), '0')).toBe(true);
    expect(await keeper.keep(exhausted(true), '1')).toBe(false);
    const refused = new PumpKeeper(async () => { throw new Error('AuthorizationFailure'); });
    expect(await refused.keep(exhausted(true), '0')).toBe(false);
    // A store that does not answer: the pump closes once the check gives up (its signal aborts).
    const hung = new PumpKeeper((_id, signal) => new Promise((_res, rej) => signal.addEventListener('abort', () => rej(signal.reason))));
    const t0 = Date.now();
    expect(await hung.keep(exhausted(true), '0')).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4_900);
  });
});
