/**
 * An AMQP 1.0 peer on rhea that stands in for Azure Event Hubs, so the real
 * `EventHubConsumerClient` can consume over a loopback socket (no emulator runs here: it needs
 * Docker). It speaks just what the consumer needs: SASL ANONYMOUS (the SDK sends the key name
 * as the ANONYMOUS trace and no password; the SAS token goes over `$cbs`), `$cbs` put-token,
 * `$management` READs, and receiver links with start-position filters, link credit and owner
 * levels. Partition logs and receiver links are in `eventhubs-peer-links.ts`.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import rhea from 'rhea';
import type { AmqpError, Connection, EventContext, Message, Receiver, Sender } from 'rhea';
import {
  arbitrateOwnership,
  availableCredit,
  PartitionLog,
  pump,
  readManagement,
  startSequenceNumber,
  type Body,
  type ManagementReply,
  type ReceiverLink,
} from './eventhubs-peer-links.js';

export interface EventHubsPeer {
  port: number;
  /** `Endpoint=sb://127.0.0.1:PORT;SharedAccessKeyName=test;SharedAccessKey=<fake>;EntityPath=<hub>;UseDevelopmentEmulator=true` */
  connectionString(hub: string): string;
  /** Appends messages (each an Event Hubs body) to a partition; returns the sequence number of the last one. Delivered to open receivers promptly. */
  send(hub: string, partition: string, bodies: Array<string | Buffer>, properties?: Record<string, unknown>): number;
  /** Appends `count` messages whose bodies `make(i)` produces only when delivered (nothing is held), for benchmarks. */
  sendGenerated(hub: string, partition: string, count: number, make: (i: number) => string | Buffer): number;
  /** Messages appended to a partition so far. */
  count(hub: string, partition: string): number;
  /** Open receiver links right now, with their flow state (credit not yet used, the most ever outstanding, messages sent). */
  receivers(): Array<{
    hub: string;
    consumerGroup: string;
    partition: string;
    ownerLevel: number | undefined;
    credit: number;
    maxCredit: number;
    delivered: number;
  }>;
  /** Drops every open connection abruptly (to test reconnects); the peer keeps listening. */
  dropConnections(): void;
  close(): Promise<void>;
}

export interface EventHubsPeerOptions {
  hubs: Record<string, number /* partition count */>;
  host?: string;
  port?: number;
}

const CBS = '$cbs';
const MANAGEMENT = '$management';
const RECEIVER_ADDRESS = /^([^/]+)\/ConsumerGroups\/([^/]+)\/Partitions\/([^/]+)$/i;
const SELECTOR_FILTER = 'apache.org:selector-filter:string';
const EPOCH = 'com.microsoft:epoch';
const RUNTIME_METRIC = 'com.microsoft:enable-receiver-runtime-metric';

export async function startEventHubsPeer(options: EventHubsPeerOptions): Promise<EventHubsPeer> {
  const host = options.host ?? '127.0.0.1';
  const createdAt = new Date();
  const logs = new Map(
    Object.entries(options.hubs).map(([hub, n]) => [hub, Array.from({ length: n }, () => new PartitionLog())] as const),
  );
  const links = new Map<Sender, ReceiverLink>();
  // Request/response clients name their reply link in `reply_to`: the $cbs one by link name, $management by target address.
  const replyLinks = new WeakMap<Connection, Map<string, Sender>>();
  const sockets = new Set<Socket>();

  const logFor = (hub: string, partition: string): PartitionLog | undefined =>
    /^\d+$/.test(partition) ? logs.get(hub)?.[Number(partition)] : undefined;
  const mustLog = (hub: string, partition: string): PartitionLog => {
    const log = logFor(hub, partition);
    if (!log) throw new Error(`The peer has no partition '${partition}' in hub '${hub}'.`);
    return log;
  };

  const container = rhea.create_container({ id: 'eventhubs-peer' });

  container.on('sender_open', (ctx: EventContext) => {
    const sender = ctx.sender!;
    const address = sender.source?.address ?? '';
    if (address === CBS || address === MANAGEMENT) {
      const byName = replyLinks.get(ctx.connection) ?? new Map<string, Sender>();
      replyLinks.set(ctx.connection, byName);
      byName.set(sender.name, sender);
      if (sender.target?.address) byName.set(sender.target.address, sender);
      sender.set_source({ address });
      sender.set_target({ address: sender.target?.address ?? sender.name });
      return;
    }
    openReceiverLink(sender, address);
  });

  function openReceiverLink(sender: Sender, address: string): void {
    const [, hub = '', consumerGroup = '', partition = ''] = RECEIVER_ADDRESS.exec(address) ?? [];
    const log = logFor(hub, partition);
    if (!log) return refuse(sender, { condition: 'amqp:not-found', description: `The messaging entity '${address}' could not be found.` });
    let next: number;
    try {
      next = startSequenceNumber(selectorFilter(sender), log);
    } catch (err) {
      return refuse(sender, { condition: 'com.microsoft:argument-error', description: (err as Error).message });
    }
    const epoch: unknown = sender.properties?.[EPOCH];
    const link: ReceiverLink = {
      hub,
      consumerGroup,
      partition,
      ownerLevel: typeof epoch === 'number' ? epoch : undefined,
      runtimeMetric: capabilities(sender).includes(RUNTIME_METRIC),
      sender,
      log,
      next,
      sent: 0,
      maxCredit: 0,
    };
    const verdict = arbitrateOwnership(link, links.values());
    if (verdict.refuse) return refuse(sender, verdict.refuse);
    for (const evicted of verdict.evicted) links.delete(evicted.sender);
    links.set(sender, link);
    // Echo the source (with its filter) so the client sees the filter was applied.
    sender.set_source(sender.source);
    sender.set_target(sender.target);
  }

  // Refusing an attach: answer it without a source, then detach with the error (AMQP 1.0 §2.6.3).
  function refuse(link: Sender | Receiver, error: AmqpError): void {
    link.close(error);
  }

  container.on('receiver_open', (ctx: EventContext) => {
    const receiver = ctx.receiver!;
    const address = receiver.target?.address ?? '';
    if (address !== CBS && address !== MANAGEMENT) {
      return refuse(receiver, { condition: 'amqp:not-implemented', description: 'This test peer only serves consumers.' });
    }
    receiver.set_target({ address });
    if (receiver.source) receiver.set_source(receiver.source);
  });

  container.on('message', (ctx: EventContext) => {
    const request = ctx.message;
    if (!request) return;
    // $cbs: any put-token is accepted (202), as the SDK's CbsClient expects.
    const reply: ManagementReply =
      ctx.receiver?.target?.address === CBS
        ? { statusCode: 202, statusDescription: 'Accepted' }
        : readManagement(request.application_properties ?? {}, logFor, (hub) => logs.get(hub)?.length, createdAt);
    const replyTo = String(request.reply_to ?? '');
    const link = replyLinks.get(ctx.connection)?.get(replyTo);
    const response: Message = {
      to: replyTo,
      body: reply.body ?? null,
      correlation_id: request.message_id,
      application_properties: {
        'status-code': reply.statusCode,
        'status-description': reply.statusDescription,
        ...(reply.errorCondition ? { 'error-condition': reply.errorCondition } : {}),
      },
    };
    link?.send(response);
  });

  // Credit arrives in flow frames; 'sendable' also fires when rhea's session buffer frees up.
  const onCredit = (ctx: EventContext): void => {
    const link = ctx.sender && links.get(ctx.sender);
    if (link) pump(link);
  };
  container.on('sender_flow', onCredit);
  container.on('sendable', onCredit);
  container.on('sender_close', (ctx: EventContext) => {
    if (ctx.sender) links.delete(ctx.sender);
  });
  const forgetConnection = (ctx: EventContext): void => {
    for (const sender of links.keys()) if (sender.connection === ctx.connection) links.delete(sender);
  };
  container.on('connection_close', forgetConnection);
  container.on('disconnected', forgetConnection);
  // Clients detaching with an error, or sockets we destroyed, surface here; they are not the peer's failures.
  container.on('error', () => {});

  const server: Server = container.listen({ host, port: options.port ?? 0 });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;

  // rhea only notices a socket's 'end' or 'error', so destroying with an error lets the server
  // side of each connection see the drop and forget its links.
  function dropConnections(): void {
    for (const socket of sockets) socket.destroy(new Error('Connection dropped by the Event Hubs test peer.'));
    links.clear(); // now, not when rhea hears of it on a later tick, so nothing is sent into a dead socket
  }

  function append(hub: string, partition: string, count: number, body: (i: number) => Body, properties?: Record<string, unknown>): number {
    const last = mustLog(hub, partition).append(count, body, properties);
    for (const link of links.values()) if (link.hub === hub && link.partition === partition) pump(link);
    return last;
  }

  return {
    port,
    connectionString: (hub) =>
      `Endpoint=sb://${host}:${port};SharedAccessKeyName=test;SharedAccessKey=not-a-secret;EntityPath=${hub};UseDevelopmentEmulator=true`,
    send: (hub, partition, bodies, properties) => {
      const held = [...bodies]; // the caller may reuse its array
      return append(hub, partition, held.length, (i) => held[i]!, properties);
    },
    sendGenerated: (hub, partition, count, make) => append(hub, partition, count, make),
    count: (hub, partition) => mustLog(hub, partition).count,
    receivers: () =>
      [...links.values()]
        .filter((l) => l.sender.is_open())
        .map((l) => ({
          hub: l.hub,
          consumerGroup: l.consumerGroup,
          partition: l.partition,
          ownerLevel: l.ownerLevel,
          credit: availableCredit(l),
          maxCredit: l.maxCredit,
          delivered: l.sent,
        })),
    dropConnections,
    close: async () => {
      dropConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The selector filter string, however rhea decoded the described value it arrived in. */
function selectorFilter(sender: Sender): string | undefined {
  const raw: unknown = (sender.source?.filter as Record<string, unknown> | undefined)?.[SELECTOR_FILTER];
  if (typeof raw === 'string') return raw;
  const value = (raw as { value?: unknown } | undefined)?.value;
  return typeof value === 'string' ? value : undefined;
}

function capabilities(sender: Sender): string[] {
  const caps: unknown = sender.desired_capabilities;
  return (Array.isArray(caps) ? caps : caps === undefined ? [] : [caps]).map(String);
}
