/**
 * Holds @azure/event-hubs' consumer to its prefetchCount (upstream: Azure/azure-sdk-for-js#39452).
 *
 * Each receive cycle of `subscribe()` grants its AMQP link `max(prefetchCount, maxBatchSize) −
 * events queued locally` more credit (partitionReceiver.js, receiveBatch → addCredits), without
 * counting the credit it granted before that the service has not used yet. So every cycle that
 * ends short adds more: each `maxWaitTimeSeconds` while a partition is idle, and each cycle while
 * a backlog's deliveries are still in flight. Measured against the AMQP peer (bench/consume,
 * BENCH_TRACE=1): an idle partition's link gained 64 credits a second (4,270 a minute after a
 * 200,000-record drain), and during the drain up to 1,464 bodies (~270 MB) had been sent and not
 * yet committed. A day of quiet leaves a link millions of credits, and the next burst or backlog
 * then arrives as fast as the network carries it, whatever prefetchCount says: a pod's memory
 * limit is what stops it, and the restart reads the same backlog again.
 *
 * The fix reads the SDK's number as the credit the link should hold, and grants only what it
 * lacks (rhea keeps `credit` as granted and not yet used). The SDK's partition receivers are the
 * only callers of rhea-promise's `addCredit` in the process: its management and CBS links never
 * call it (rhea's automatic credit window moves their credit), and kafkajs does not use rhea. Should the SDK count outstanding credit
 * itself one day, this only grants less (never below what an empty link needs), so it can stay.
 */
import { Receiver } from 'rhea-promise';

let installed = false;

export function boundEventHubsPrefetch(): void {
  if (installed) return;
  installed = true;
  const proto = Receiver.prototype as unknown as { addCredit(credit: number): void };
  const grant = proto.addCredit;
  proto.addCredit = function addCreditUpTo(this: Receiver, wanted: number): void {
    const lacking = wanted - this.credit;
    if (lacking > 0) grant.call(this, lacking);
  };
}
