/**
 * The webhook sink against a local HTTPS receiver (test/support/https-peer.ts), trusted through
 * the sink's test-only `tlsOptions: { ca }`. The receiver checks signatures the way a real one
 * would: verifyWebhookSignature over the raw body bytes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertRow } from '../detectors/alert.js';
import { createLogger } from '../service/log.js';
import { startHttpsPeer, type HttpsPeer, type PeerHandler } from '../../test/support/https-peer.js';
import { SinkError, type Sink } from './sink.js';
import { createWebhookSink, verifyWebhookSignature, webhookSchema } from './webhook.js';

const SECRET = 'test-secret-0123456789abcdef';

function alert(i: number, over: Partial<AlertRow> = {}): AlertRow {
  return {
    alert_id: `alert-${i}`, detector_id: 'keyvault.mass-secret-retrieval', title: 'Mass secret retrieval', severity: 'high',
    tactics: ['CredentialAccess'], techniques: ['T1555'], time_generated: Date.UTC(2025, 10, 14, 1, 48, 53) + i,
    first_event_time: Date.UTC(2025, 10, 14, 1, 40), last_event_time: Date.UTC(2025, 10, 14, 1, 48),
    principal_id: '00000000-0000-0000-0000-000000000001', principal_name: 'mallory@contoso.com', app_id: null,
    caller_ip: '203.0.113.7', resource_id: '/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv',
    event_count: 42, evidence: { event_ids: ['e1', 'e2'], secrets: 40 }, description: 'd', remediation: 'r', ...over,
  };
}

let peer: HttpsPeer | undefined;
const sinks: Sink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close?.()));
  await peer?.close();
  peer = undefined;
});

async function setup(handler: PeerHandler, config: Record<string, unknown> = {}): Promise<{ peer: HttpsPeer; sink: Sink }> {
  peer = await startHttpsPeer(handler);
  const parsed = webhookSchema.parse({ url: `${peer.url}/hooks/alerts`, secret: SECRET, ...config });
  const sink = createWebhookSink(parsed, { name: 'webhook', log: createLogger('silent'), credential: () => { throw new Error('unused'); } },
    { tlsOptions: { ca: peer.ca } });
  sinks.push(sink);
  return { peer, sink };
}

const never = new AbortController().signal;

describe('webhook sink', () => {
  it('POSTs each alert as signed JSON with the alert id as idempotency key; a flipped byte fails verification', async () => {
    const { peer, sink } = await setup((req, body, res) => {
      res.writeHead(verifyWebhookSignature(body, req.headers, SECRET) ? 204 : 401).end();
    });
    await sink.send([alert(1), alert(2), alert(3)], never);
    expect(peer.requests).toHaveLength(3);
    const byKey = new Map(peer.requests.map((r) => [r.headers['idempotency-key'], r]));
    expect([...byKey.keys()].sort()).toEqual(['alert-1', 'alert-2', 'alert-3']);
    const req = byKey.get('alert-2')!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hooks/alerts');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-auditlake-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(Math.abs(Number(req.headers['x-auditlake-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    const body = JSON.parse(req.body.toString('utf8'));
    expect(body).toMatchObject({ alert_id: 'alert-2', time_generated: '2025-11-14T01:48:53.002Z', first_event_time: '2025-11-14T01:40:00.000Z',
      evidence: { event_ids: ['e1', 'e2'], secrets: 40 }, severity: 'high' });

    expect(verifyWebhookSignature(req.body, req.headers, SECRET)).toBe(true);
    const tampered = Buffer.from(req.body);
    tampered[10] = tampered[10]! ^ 0x01;
    expect(verifyWebhookSignature(tampered, req.headers, SECRET)).toBe(false);
    expect(verifyWebhookSignature(req.body, req.headers, `${SECRET}x`)).toBe(false);
    // The timestamp is signed too: moving it, or replaying the request later, fails.
    const ts = Number(req.headers['x-auditlake-timestamp']);
    expect(verifyWebhookSignature(req.body, { ...req.headers, 'x-auditlake-timestamp': String(ts + 1) }, SECRET)).toBe(false);
    expect(verifyWebhookSignature(req.body, req.headers, SECRET, { nowMs: (ts + 301) * 1000 })).toBe(false);
    expect(verifyWebhookSignature(req.body, new Headers(req.headers as Record<string, string>), SECRET)).toBe(true);
  });

  it('filters by severity: minSeverity high accepts high, not medium', async () => {
    const { sink } = await setup((_req, _body, res) => void res.writeHead(200).end(), { minSeverity: 'high' });
    expect(sink.accepts(alert(1))).toBe(true);
    expect(sink.accepts(alert(2, { severity: 'medium' }))).toBe(false);
    expect(sink.maxBatch).toBe(100);
  });

  it('turns a 500 into a SinkError naming the status, never the secret', async () => {
    const { sink } = await setup((_req, _body, res) => void res.writeHead(500).end(`boom ${SECRET}`));
    const err = await sink.send([alert(1)], never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).message).toMatch(/answered 500 for alert alert-1: boom REDACTED/);
    expect((err as SinkError).message).not.toContain(SECRET);
    expect((err as SinkError).retryAfterMs).toBeUndefined();
  });

  it('never lets a receiver echo its configured header values or URL query values into the error', async () => {
    // A receiver answering 400 with what it got: the URL (function key, SAS), the API key header,
    // also URL-encoded and decoded (the key has characters that encode).
    peer = await startHttpsPeer((req, _body, res) => void res.writeHead(400).end(
      `bad request to ${req.url} with key ${String(req.headers['x-api-key'])} (${encodeURIComponent(String(req.headers['x-api-key']))}) `
      + `code ${decodeURIComponent(/code=([^&]*)/.exec(req.url ?? '')?.[1] ?? '')}`));
    const parsed = webhookSchema.parse({
      url: `${peer.url}/hooks/alerts?sig=SIGSECRET77&code=FUNC%2BKEY123%3D%3D&v=1`,
      secret: SECRET,
      headers: { 'X-Api-Key': 'APIKEY/SECRET+42' },
    });
    const sink = createWebhookSink(parsed, { name: 'echo', log: createLogger('silent'), credential: () => { throw new Error('unused'); } },
      { tlsOptions: { ca: peer.ca } });
    sinks.push(sink);
    const err = await sink.send([alert(1)], never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    const message = (err as SinkError).message;
    expect(message).toMatch(/^echo \(https:\/\/127\.0\.0\.1:\d+\): receiver answered 400 for alert alert-1: bad request to REDACTED\?sig=REDACTED&code=REDACTED&v=1 with key REDACTED \(REDACTED\) code REDACTED/);
    for (const secret of ['SIGSECRET77', 'FUNC', 'KEY123', 'APIKEY', 'SECRET+42', 'SECRET%2B42']) expect(message).not.toContain(secret);
  });

  it('never names the URL\'s path, where Slack and Teams webhooks carry their key, nor lets a receiver echo it', async () => {
    const token = 'XXXXXXXXXXXXXXXXXXXXXXXX';
    peer = await startHttpsPeer((req, _body, res) => void res.writeHead(404).end(`no hook at ${req.url}; token ${token} unknown`));
    const parsed = webhookSchema.parse({ url: `${peer.url}/services/T0000/B0000/${token}`, secret: SECRET });
    const sink = createWebhookSink(parsed, { name: 'slack', log: createLogger('silent'), credential: () => { throw new Error('unused'); } },
      { tlsOptions: { ca: peer.ca } });
    sinks.push(sink);
    const message = ((await sink.send([alert(1)], never).catch((e: unknown) => e)) as SinkError).message;
    expect(message).toMatch(/^slack \(https:\/\/127\.0\.0\.1:\d+\): receiver answered 404 for alert alert-1: no hook at REDACTED; token REDACTED unknown$/);
    expect(message).not.toContain(token);
  });

  it('passes a 429 Retry-After on as retryAfterMs', async () => {
    const { sink } = await setup((_req, _body, res) => void res.writeHead(429, { 'Retry-After': '7' }).end());
    const err = await sink.send([alert(1)], never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryAfterMs).toBe(7000);
  });

  it('aborts a receiver that never answers at timeoutSeconds', async () => {
    const { sink } = await setup(() => { /* never answers */ }, { timeoutSeconds: 1 });
    const started = Date.now();
    const err = await sink.send([alert(1)], never).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).message).toMatch(/no answer within 1 s/);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5000);
  });

  it('stops at the caller\'s signal too', async () => {
    const { sink } = await setup(() => { /* never answers */ });
    const err = await sink.send([alert(1)], AbortSignal.timeout(300)).catch((e: unknown) => e);
    expect((err as SinkError).message).toMatch(/alert-1 failed: aborted/);
  });

  it('accepts https anywhere, http only on loopback, and refuses to let headers replace its own', () => {
    const base = { secret: SECRET };
    expect(webhookSchema.safeParse({ ...base, url: 'https://soar.example.com/hook' }).success).toBe(true);
    expect(webhookSchema.safeParse({ ...base, url: 'http://127.0.0.1:8080/hook' }).success).toBe(true);
    expect(webhookSchema.safeParse({ ...base, url: 'http://localhost/hook' }).success).toBe(true);
    const http = webhookSchema.safeParse({ ...base, url: 'http://soar.example.com/hook' });
    expect(http.error?.issues[0]?.message).toMatch(/must be https:\/\//);
    expect(webhookSchema.safeParse({ ...base, url: 'https://x.example/h', headers: { 'X-Api-Key': 'k' } }).success).toBe(true);
    expect(webhookSchema.safeParse({ ...base, url: 'https://x.example/h', headers: { 'idempotency-key': 'k' } }).success).toBe(false);
    expect(webhookSchema.safeParse({ url: 'https://x.example/h', secret: 'short' }).success).toBe(false);
    expect(webhookSchema.parse({ ...base, url: 'https://x.example/h' })).toMatchObject({ timeoutSeconds: 10, maxBatch: 100 });
  });

  it('sends extra headers and delivers a batch of 100 over a few connections', async () => {
    const { peer, sink } = await setup((req, body, res) => {
      res.writeHead(verifyWebhookSignature(body, req.headers, SECRET) && req.headers['x-api-key'] === 'k' ? 200 : 401).end();
    }, { headers: { 'X-Api-Key': 'k' } });
    await sink.send(Array.from({ length: 100 }, (_, i) => alert(i)), never);
    expect(new Set(peer.requests.map((r) => r.headers['idempotency-key'])).size).toBe(100);
  });
});
