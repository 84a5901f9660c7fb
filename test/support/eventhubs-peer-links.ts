/**
 * The Event Hubs test peer's data side: partition logs, what `$management` reports about them,
 * start-position filters, and the receiver links that stream a partition to the SDK under link
 * credit. Sockets, routing and `$cbs` live in `eventhubs-peer.ts`.
 */
import rhea from 'rhea';
import type { AmqpError, Message, Sender } from 'rhea';

export type Body = string | Buffer;

/** A run of events appended by one call; bodies are produced on demand so a benchmark can stream millions without holding them. */
interface Segment {
  first: number;
  count: number;
  enqueuedMs: number;
  properties: Record<string, unknown> | undefined;
  body(index: number): Body;
}

export interface StoredEvent {
  sequenceNumber: number;
  body: Buffer;
  enqueuedAt: Date;
  properties: Record<string, unknown> | undefined;
}

export class PartitionLog {
  private readonly segments: Segment[] = [];
  private total = 0;
  private lastEnqueuedMs = 0;

  get count(): number {
    return this.total;
  }

  get lastEnqueuedAt(): Date {
    return new Date(this.lastEnqueuedMs);
  }

  /** Returns the sequence number of the last appended event. */
  append(count: number, body: (index: number) => Body, properties?: Record<string, unknown>): number {
    if (count <= 0) return this.total - 1;
    // Enqueued times never go backwards, so an enqueued-time filter can binary-search segments.
    this.lastEnqueuedMs = Math.max(this.lastEnqueuedMs, Date.now());
    this.segments.push({ first: this.total, count, enqueuedMs: this.lastEnqueuedMs, properties, body });
    this.total += count;
    return this.total - 1;
  }

  at(sequenceNumber: number): StoredEvent {
    const segment = this.segments[this.segmentIndex((s) => s.first + s.count > sequenceNumber)];
    if (!segment || sequenceNumber < segment.first) throw new RangeError(`No event ${sequenceNumber} in partition.`);
    const body = segment.body(sequenceNumber - segment.first);
    return {
      sequenceNumber,
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
      enqueuedAt: new Date(segment.enqueuedMs),
      properties: segment.properties,
    };
  }

  /** The first sequence number enqueued strictly after `ms`, or `count` when none is. */
  firstEnqueuedAfter(ms: number): number {
    return this.segments[this.segmentIndex((s) => s.enqueuedMs > ms)]?.first ?? this.total;
  }

  /** Index of the first segment satisfying a predicate that is monotonic over the log. */
  private segmentIndex(pred: (s: Segment) => boolean): number {
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pred(this.segments[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/**
 * Translates the SDK's `apache.org:selector-filter:string` (see getEventPositionFilter in
 * @azure/event-hubs) into the first sequence number to deliver. Offsets are the sequence number
 * as a string, so `offset > '-1'` (earliest) starts at 0 and `'@latest'` at the next event.
 */
export function startSequenceNumber(filter: string | undefined, log: PartitionLog): number {
  if (filter === undefined) return 0; // no filter: the start of the stream
  const m = /^amqp\.annotation\.x-opt-(offset|sequence-number|enqueued-time)\s*(>=|>)\s*'([^']*)'$/.exec(filter.trim());
  if (!m) throw new Error(`Unsupported selector filter: ${filter}`);
  const [, field, op, value = ''] = m;
  if (field === 'offset' && value === '@latest') return log.count;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`Not a number in selector filter: ${filter}`);
  if (field === 'enqueued-time') return log.firstEnqueuedAfter(op === '>=' ? n - 1 : n);
  return Math.max(0, op === '>=' ? n : n + 1);
}

/** One attached receiver link, seen from the peer's side (an AMQP sender). */
export interface ReceiverLink {
  hub: string;
  consumerGroup: string;
  partition: string;
  ownerLevel: number | undefined;
  /** The client asked for last-enqueued delivery annotations (`trackLastEnqueuedEventProperties`). */
  runtimeMetric: boolean;
  sender: Sender;
  log: PartitionLog;
  next: number;
  /** Messages handed to rhea on this link; the AMQP delivery-count starts at 0 so this is also our delivery count. */
  sent: number;
  maxCredit: number;
}

/** Fields of rhea's Sender that its typings leave out. */
interface SenderInternals {
  delivery_count: number;
  credit: number;
}

/**
 * Credit the client has granted that we have not yet used. rhea's own `credit` only drops when a
 * transfer is actually written (on a later tick), so counting our own sends keeps a tight loop
 * from queuing past the window: the limit is delivery_count + credit in rhea's terms.
 */
export function availableCredit(link: ReceiverLink): number {
  const s = link.sender as unknown as SenderInternals;
  return s.delivery_count + s.credit - link.sent;
}

/** Sends as many events as the link has credit for (and rhea's session buffer has room for). */
export function pump(link: ReceiverLink): void {
  if (!link.sender.is_open()) return;
  link.maxCredit = Math.max(link.maxCredit, availableCredit(link));
  while (link.next < link.log.count && availableCredit(link) > 0 && link.sender.sendable()) {
    link.sender.send(encode(link, link.log.at(link.next)), undefined, 0); // format 0: already encoded
    link.next += 1;
    link.sent += 1;
  }
}

/**
 * Encodes one event: rhea writes the annotations, and the body goes in a data section (so
 * skipParsingBodyAsJson hands the bytes over as-is, and the default JSON-parses them) that we
 * frame ourselves, because rhea's encoder copies a body twice through zero-filled buffers and that
 * was most of the peer's CPU with 180 KB bodies.
 */
function encode(link: ReceiverLink, event: StoredEvent): Buffer {
  const { types } = rhea;
  const message: Message = {
    body: NO_BODY,
    message_annotations: {
      'x-opt-sequence-number': types.wrap_long(event.sequenceNumber),
      'x-opt-offset': String(event.sequenceNumber),
      'x-opt-enqueued-time': event.enqueuedAt,
    },
  };
  if (event.properties) message.application_properties = event.properties;
  if (link.runtimeMetric) {
    const last = link.log.count - 1;
    message.delivery_annotations = {
      last_enqueued_sequence_number: types.wrap_long(last),
      last_enqueued_offset: String(last),
      last_enqueued_time_utc: link.log.lastEnqueuedAt,
      runtime_info_retrieval_time_utc: new Date(),
    };
  }
  const dataSection = Buffer.from([0x00, 0x53, 0x75, 0xb0, 0, 0, 0, 0]); // described amqp:data:binary, vbin32
  dataSection.writeUInt32BE(event.body.length, 4);
  return Buffer.concat([rhea.message.encode(message), dataSection, event.body]);
}

/** A body that contributes no section to rhea's encoding (its hook for custom sections). */
const NO_BODY = { collect_sections: (): void => {} };

/**
 * Event Hubs' owner-level (epoch) rule for one partition and consumer group: a receiver with an
 * owner level equal or higher than the others takes the partition and the others are detached;
 * a lower one, or one without a level while a levelled one exists, is refused. Both ways the SDK
 * sees `amqp:link:stolen`, which it translates to a non-retryable ReceiverDisconnectedError.
 * Returns the error to refuse `incoming` with, or the receivers it evicted (already detached).
 */
export function arbitrateOwnership(
  incoming: ReceiverLink,
  all: Iterable<ReceiverLink>,
): { refuse: AmqpError; evicted?: never } | { refuse?: never; evicted: ReceiverLink[] } {
  const rivals = [...all].filter(
    (r) => r !== incoming && r.hub === incoming.hub && r.consumerGroup === incoming.consumerGroup && r.partition === incoming.partition,
  );
  const levelled = rivals.filter((r) => r.ownerLevel !== undefined);
  const mine = incoming.ownerLevel;
  const stronger = levelled.find((r) => mine === undefined || r.ownerLevel! > mine);
  if (stronger) {
    return {
      refuse: {
        condition: 'amqp:link:stolen',
        description: `Receiver with a higher owner level of '${stronger.ownerLevel}' already exists; a receiver with owner level '${mine ?? 'none'}' cannot be created.`,
      },
    };
  }
  if (mine === undefined) return { evicted: [] };
  for (const r of rivals) {
    r.sender.close({
      condition: 'amqp:link:stolen',
      description: `New receiver with higher owner level of '${mine}' is created hence current receiver with owner level '${r.ownerLevel ?? 'none'}' is getting disconnected.`,
    });
  }
  return { evicted: rivals };
}

export interface ManagementReply {
  statusCode: number;
  statusDescription: string;
  errorCondition?: string;
  body?: Record<string, unknown>;
}

/**
 * A `$management` READ, answered with the map keys ManagementClient.getEventHubProperties and
 * getPartitionProperties read (sequence numbers as AMQP longs, times as timestamps).
 */
export function readManagement(
  props: Record<string, unknown>,
  logFor: (hub: string, partition: string) => PartitionLog | undefined,
  partitionCount: (hub: string) => number | undefined,
  createdAt: Date,
): ManagementReply {
  const hub = String(props.name ?? '');
  const count = partitionCount(hub);
  if (props.operation !== 'READ') {
    return { statusCode: 501, statusDescription: `Operation '${String(props.operation)}' is not supported.`, errorCondition: 'amqp:not-implemented' };
  }
  if (count === undefined) return { statusCode: 404, statusDescription: `The messaging entity '${hub}' could not be found.`, errorCondition: 'amqp:not-found' };
  if (props.type === 'com.microsoft:eventhub') {
    const partitionIds = Array.from({ length: count }, (_, i) => String(i));
    const body = { name: hub, type: props.type, created_at: createdAt, partition_count: count, partition_ids: partitionIds };
    return { statusCode: 200, statusDescription: 'OK', body };
  }
  if (props.type === 'com.microsoft:partition') {
    const partition = String(props.partition ?? '');
    const log = logFor(hub, partition);
    if (!log) return { statusCode: 400, statusDescription: `Partition '${partition}' does not exist.`, errorCondition: 'com.microsoft:argument-out-of-range' };
    const last = log.count - 1; // -1 and offset '-1' when empty, as the service reports
    const body = {
      name: hub,
      type: props.type,
      partition,
      begin_sequence_number: rhea.types.wrap_long(0),
      last_enqueued_sequence_number: rhea.types.wrap_long(last),
      last_enqueued_offset: String(last),
      last_enqueued_time_utc: log.lastEnqueuedAt,
      is_partition_empty: log.count === 0,
    };
    return { statusCode: 200, statusDescription: 'OK', body };
  }
  return { statusCode: 400, statusDescription: `Unknown type '${String(props.type)}'.`, errorCondition: 'com.microsoft:argument-error' };
}
