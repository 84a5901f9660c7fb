/**
 * A local HTTPS server for tests that drive the real Azure SDK clients (the SDKs refuse to send
 * bearer tokens over plain HTTP), plus an Entra token endpoint to put behind it.
 *
 * The certificate is self-signed for 127.0.0.1 and localhost and made with node:crypto (no
 * openssl needed), once per test process. Clients trust it by:
 * - in-process Azure SDK clients: `tlsOptions: { ca: peer.ca }` in the client or credential
 *   options (core-rest-pipeline hands it to its https.Agent);
 * - subprocesses: `NODE_EXTRA_CA_CERTS=<peer.caFile>` in their environment.
 *
 * ```ts
 * const entra = tokenEndpoint();
 * const peer = await startHttpsPeer((req, body, res) => {
 *   if (entra.handle(req, body, res)) return;
 *   res.writeHead(404).end();
 * });
 * ```
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Answers one request; it must end `res` (a throw becomes a 500 carrying the error). */
export type PeerHandler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void | Promise<void>;

export interface RecordedRequest {
  method: string;
  /** The request target as sent, query string included: `/secrets/eh?api-version=2025-07-01`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpsPeer {
  /** `https://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  port: number;
  /** The certificate (its own CA) as a PEM file, for `NODE_EXTRA_CA_CERTS` in subprocesses. */
  caFile: string;
  /** The same certificate as a PEM string, for `tlsOptions: { ca }` in-process. */
  ca: string;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface HttpsPeerOptions {
  /** Port to listen on; default 0 (any free port). */
  port?: number;
}

export async function startHttpsPeer(handler: PeerHandler, options: HttpsPeerOptions = {}): Promise<HttpsPeer> {
  const { cert, key, file } = testCertificate();
  const requests: RecordedRequest[] = [];
  const server = createServer({ cert, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      Promise.resolve()
        .then(() => handler(req, body, res))
        .catch((err: unknown) => {
          // A failing handler is a bug in the test: make it visible in the client's error.
          const message = `https-peer handler failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`;
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(message);
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    caFile: file,
    ca: cert,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // SDK clients keep connections alive; don't wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Entra ID (Microsoft identity platform) token endpoint

export interface TokenRequest {
  tenant: string;
  grantType: string | null;
  clientId: string | null;
  clientSecret: string | null;
  scope: string | null;
  /** The whole form, for anything else (client_assertion, claims, ...). */
  form: URLSearchParams;
}

export interface TokenEndpoint {
  /**
   * Answers the request if it is for the token endpoint — POST `/<tenant>/oauth2/v2.0/token` —
   * or the OpenID metadata MSAL reads first — GET `/<tenant>/v2.0/.well-known/openid-configuration`
   * — and returns true; returns false (and leaves `res` alone) for anything else.
   */
  handle(req: IncomingMessage, body: Buffer, res: ServerResponse): boolean;
  /** Token requests received (metadata reads are not listed). */
  requests: TokenRequest[];
  /** The access token handed out. */
  accessToken: string;
}

export interface TokenEndpointOptions {
  /** Default: a random `peer-token-...` string. */
  accessToken?: string;
  /** Default 3600. */
  expiresInSeconds?: number;
  /** Answer token requests with this status and an OAuth error body instead (e.g. 401 invalid_client). */
  failWith?: { status: number; error: string; description?: string };
}

export function tokenEndpoint(options: TokenEndpointOptions = {}): TokenEndpoint {
  const accessToken = options.accessToken ?? `peer-token-${randomBytes(12).toString('hex')}`;
  const expiresIn = options.expiresInSeconds ?? 3600;
  const requests: TokenRequest[] = [];
  const json = (res: ServerResponse, status: number, value: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value));
  };
  return {
    accessToken,
    requests,
    handle(req, body, res) {
      const url = new URL(req.url ?? '/', 'https://peer');
      const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
      if (token && req.method === 'POST') {
        const form = new URLSearchParams(body.toString('utf8'));
        requests.push({
          tenant: decodeURIComponent(token[1]!),
          grantType: form.get('grant_type'),
          clientId: form.get('client_id'),
          clientSecret: form.get('client_secret'),
          scope: form.get('scope'),
          form,
        });
        if (options.failWith) {
          const { status, error, description } = options.failWith;
          json(res, status, { error, error_description: description ?? `${error} (https-peer)`, error_codes: [7000215] });
        } else {
          json(res, 200, { token_type: 'Bearer', access_token: accessToken, expires_in: expiresIn, ext_expires_in: expiresIn });
        }
        return true;
      }
      const metadata = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
      if (metadata && req.method === 'GET') {
        // MSAL resolves the authority's endpoints from this document unless the host is a known cloud.
        const authority = `https://${req.headers.host ?? '127.0.0.1'}/${metadata[1]!}`;
        json(res, 200, {
          issuer: `${authority}/v2.0`,
          authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
          token_endpoint: `${authority}/oauth2/v2.0/token`,
          end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
          jwks_uri: `${authority}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'token'],
          scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
          token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        });
        return true;
      }
      return false;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The self-signed certificate: X.509 v3, P-256, SAN IP:127.0.0.1 + DNS:localhost, valid a week.

interface TestCertificate {
  cert: string;
  key: string;
  file: string;
}

let cached: TestCertificate | undefined;

export function testCertificate(): TestCertificate {
  if (cached) return cached;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = selfSignedCertificate(privateKey, publicKey.export({ type: 'spki', format: 'der' }));
  const cert = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-https-peer-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ca.pem');
  writeFileSync(file, cert);
  cached = { cert, key, file };
  return cached;
}

// Minimal DER: just what a certificate needs.
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner);
function integer(bytes: Buffer): Buffer {
  return tlv(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const v of rest) {
    const groups = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) groups.unshift((x & 0x7f) | 0x80);
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}
function utcTime(d: Date): Buffer {
  const s = d.toISOString(); // 2025-01-02T03:04:05.678Z
  return tlv(0x17, Buffer.from(`${s.slice(2, 4)}${s.slice(5, 7)}${s.slice(8, 10)}${s.slice(11, 13)}${s.slice(14, 16)}${s.slice(17, 19)}Z`, 'ascii'));
}

function selfSignedCertificate(privateKey: KeyObject, spki: Buffer): Buffer {
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from('auditlake test peer')))));
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const now = Date.now();
  const subjectAltName = seq(
    tlv(0x87, Buffer.from([127, 0, 0, 1])), // iPAddress
    tlv(0x82, Buffer.from('localhost', 'ascii')), // dNSName
  );
  const extensions = seq(
    seq(oid('2.5.29.17'), tlv(0x04, subjectAltName)),
    // CA:TRUE so that OpenSSL takes it as a trust anchor (NODE_EXTRA_CA_CERTS) as well as a leaf.
    seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq(tlv(0x01, Buffer.from([0xff]))))),
  );
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ecdsaWithSha256,
    name,
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 7 * 86400_000))),
    name,
    spki,
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey); // DER-encoded ECDSA signature
  return seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
}
