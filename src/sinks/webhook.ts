/**
 * `sinks.webhook`: one HTTPS POST per alert, JSON, signed with HMAC-SHA256.
 *
 * One request per alert rather than an array per batch: the `Idempotency-Key` header can then
 * be the alert's id, the signature covers exactly one alert, and receivers (SOAR flows, chat
 * bridges, paging) handle one event per call. Up to 4 requests are in flight per sink over
 * keep-alive connections. A batch that fails anywhere is sent again whole later (sink.ts), so
 * receivers see repeats of the same key; a later `time_generated` under the same key is an update
 * of the alert (suppression bumped `event_count`), so receivers upsert by key rather than drop.
 *
 * Receiver's recipe (what verifyWebhookSignature below does):
 *   1. Take the raw request body bytes, before any JSON parsing.
 *   2. signed = `${X-Auditlake-Timestamp}.` + body   (decimal Unix seconds, a dot, the body bytes)
 *   3. expected = "sha256=" + hex(HMAC-SHA256(key = the shared secret as UTF-8, message = signed))
 *   4. Accept only if X-Auditlake-Signature equals expected (constant-time compare) and the
 *      timestamp is within 5 minutes of your clock (replay protection); then upsert by
 *      Idempotency-Key (= alert_id).
 *
 * Uses node:https rather than fetch: Node 20's fetch only takes a custom CA through an undici
 * Agent, and undici is not a dependency; `https.Agent` takes one directly (`tlsOptions`, tests).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import type { AlertRow } from '../detectors/alert.js';
import { alertJson, atLeast, retryAfterMs, sinkCommon, SinkError, type Sink, type SinkContext } from './sink.js';
import { httpRequest } from '../http-request.js';
import { queryValues, scrubber } from './scrub.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const OWN_HEADERS = ['content-type', 'content-length', 'host', 'idempotency-key', 'x-auditlake-signature', 'x-auditlake-timestamp'];
const IN_FLIGHT = 4;
const TOLERANCE_SECONDS = 300;

export const webhookSchema = z.strictObject({
  ...sinkCommon,
  /** https:// only; http:// is allowed for 127.0.0.1, localhost and [::1] (a local relay), nowhere else. */
  url: z.url().refine((u) => {
    const { protocol, hostname } = new URL(u);
    return protocol === 'https:' || (protocol === 'http:' && LOOPBACK.has(hostname));
  }, 'must be https:// (http:// only for 127.0.0.1, localhost or [::1])'),
  /** The HMAC key shared with the receiver; write `${ENV}` or a `keyvault:` reference, not the value. */
  secret: z.string().min(16, 'at least 16 characters'),
  timeoutSeconds: z.number().positive().max(300).default(10),
  maxBatch: z.int().min(1).max(1000).default(100),
  /** Extra request headers (e.g. a receiver's own API key); cannot replace the ones the sink sets. */
  headers: z.record(
    z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a header name'),
    z.string().regex(/^[^\r\n]*$/, 'no line breaks'),
  ).refine((h) => Object.keys(h).every((k) => !OWN_HEADERS.includes(k.toLowerCase())), {
    message: `cannot set ${OWN_HEADERS.join(', ')}: the sink sets them`,
  }).optional(),
});

export type WebhookSinkConfig = z.infer<typeof webhookSchema>;

/** Test-only: trust a local peer's self-signed certificate. */
export interface WebhookTestOptions {
  tlsOptions?: { ca?: string };
}

export function createWebhookSink(config: WebhookSinkConfig, ctx: SinkContext, options: WebhookTestOptions = {}): Sink {
  const url = new URL(config.url);
  const agent = url.protocol === 'https:'
    ? new https.Agent({ keepAlive: true, maxSockets: IN_FLIGHT, ...options.tlsOptions })
    : new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  // Never the path or the query: Slack's and Teams' incoming webhooks carry their key in the
  // path, Azure Functions' in the query.
  const where = `${ctx.name} (${url.origin})`;
  // A receiver's answer, or a socket error, can quote what it was sent: the HMAC secret, the
  // extra headers (API keys), the URL's query (function keys) and its path and key-like path
  // segments (webhook tokens) never reach a log or the outbox.
  const scrub = scrubber([config.secret, ...Object.values(config.headers ?? {}), ...queryValues(url), ...pathKeys(url)]);

  async function deliver(alert: AlertRow, signal: AbortSignal): Promise<void> {
    const body = Buffer.from(JSON.stringify(alertJson(alert)));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const timeout = AbortSignal.timeout(config.timeoutSeconds * 1000);
    let res: Response;
    try {
      res = await post(url, body, {
        ...config.headers,
        'Content-Type': 'application/json',
        'Idempotency-Key': alert.alert_id,
        'X-Auditlake-Timestamp': timestamp,
        'X-Auditlake-Signature': signature(config.secret, timestamp, body),
      }, agent, AbortSignal.any([signal, timeout]));
    } catch (err) {
      const why = timeout.aborted ? `no answer within ${config.timeoutSeconds} s` : signal.aborted ? 'aborted' : scrub((err as Error).message);
      // No `cause`: its message is the unscrubbed one.
      throw new SinkError(`${where}: POST of alert ${alert.alert_id} failed: ${why}`);
    }
    if (res.status >= 200 && res.status < 300) return;
    const detail = scrub(res.text).slice(0, 200).trim(); // scrubbed before cutting: no half secret is left
    throw new SinkError(`${where}: receiver answered ${res.status} for alert ${alert.alert_id}${detail ? `: ${detail}` : ''}`, {
      retryAfterMs: res.status === 429 || res.status === 503 ? retryAfterMs(header(res.headers, 'retry-after')) : undefined,
    });
  }

  return {
    name: ctx.name,
    maxBatch: config.maxBatch,
    accepts: atLeast(config.minSeverity),
    async send(alerts, signal) {
      // A few workers take alerts in order; after the first failure they start no more (the
      // whole batch comes back later anyway) and that failure is what the loop sees.
      let next = 0;
      let failure: unknown;
      const worker = async (): Promise<void> => {
        while (failure === undefined && next < alerts.length) {
          const alert = alerts[next++]!;
          await deliver(alert, signal).catch((err: unknown) => {
            failure ??= err;
          });
        }
      };
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, alerts.length) }, worker));
      if (failure !== undefined) throw failure;
    },
    async close() {
      agent.destroy();
    },
  };
}

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>` */
export function signature(secret: string, timestamp: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

type HeaderBag = IncomingHttpHeaders | Record<string, string | string[] | undefined> | { get(name: string): string | null };

/**
 * The receiver's check (recipe at the top of this file): the signature over `<timestamp>.<body>`
 * matches, compared in constant time, and the timestamp is within `toleranceSeconds` of `nowMs`.
 * `headers`: Node's `req.headers`, a fetch `Headers`, or a plain object (any name casing).
 */
export function verifyWebhookSignature(body: Buffer, headers: HeaderBag, secret: string,
  { toleranceSeconds = TOLERANCE_SECONDS, nowMs = Date.now() }: { toleranceSeconds?: number; nowMs?: number } = {}): boolean {
  const timestamp = header(headers, 'x-auditlake-timestamp');
  const given = header(headers, 'x-auditlake-signature');
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !given) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signature(secret, timestamp, body));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof headers.get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : bag[key];
  return Array.isArray(value) ? value[0] : value;
}

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  /** The start of the body (for the error message); the rest is read and dropped to reuse the connection. */
  text: string;
}

/** POSTs `body` and reads the whole answer (see Response for what is kept). */
/** The path, and each of its segments long enough to be a key (a Slack token is 24 characters). */
function pathKeys(url: URL): string[] {
  if (url.pathname === '/') return [];
  return [url.pathname, ...url.pathname.split('/').filter((segment) => segment.length >= 16)];
}

async function post(url: URL, body: Buffer, headers: Record<string, string>, agent: http.Agent, signal: AbortSignal): Promise<Response> {
  const res = await httpRequest(url, { method: 'POST', headers, body, agent, signal });
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    if (kept < 1024) chunks.push(c);
    kept += c.length;
  }
  return { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') };
}
