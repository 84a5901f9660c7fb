import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request, Agent } from 'node:https';
import { ClientSecretCredential } from '@azure/identity';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpsPeer, testCertificate, tokenEndpoint, type HttpsPeer } from './https-peer.js';

function get(url: string, init: { ca?: string; method?: string; body?: string; agent?: Agent } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', ca: init.ca, agent: init.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

let peer: HttpsPeer | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

describe('testCertificate', () => {
  it('is a self-signed X.509 certificate for 127.0.0.1 and localhost', () => {
    const { cert, file } = testCertificate();
    expect(readFileSync(file, 'utf8')).toBe(cert);
    const x = new X509Certificate(cert);
    expect(x.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(new Date(x.validTo).getTime()).toBeGreaterThan(Date.now() + 86400_000);
    expect(testCertificate()).toBe(testCertificate()); // once per process
  });
});

describe('startHttpsPeer', () => {
  it('serves HTTPS that clients trust through ca, and records the requests', async () => {
    peer = await startHttpsPeer((req, body, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${req.method} ${req.url} ${body.length}`);
    });
    expect(peer.url).toBe(`https://127.0.0.1:${peer.port}`);
    expect(await get(`${peer.url}/a?b=1`, { ca: peer.ca })).toEqual({ status: 200, text: 'GET /a?b=1 0' });
    expect(await get(`https://localhost:${peer.port}/x`, { ca: peer.ca, method: 'POST', body: 'hello' })).toEqual({ status: 200, text: 'POST /x 5' });
    expect(peer.requests.map((r) => [r.method, r.path, r.body.toString()])).toEqual([['GET', '/a?b=1', ''], ['POST', '/x', 'hello']]);
    expect(peer.requests[1]!.headers.host).toBe(`localhost:${peer.port}`);
  });

  it('is not trusted without the ca', async () => {
    peer = await startHttpsPeer((_req, _body, res) => void res.end('no'));
    await expect(get(peer.url)).rejects.toThrow(/self[- ]signed/i);
  });

  it('answers 500 with the error when the handler throws', async () => {
    peer = await startHttpsPeer(async () => {
      throw new Error('boom');
    });
    const r = await get(peer.url, { ca: peer.ca });
    expect(r.status).toBe(500);
    expect(r.text).toContain('https-peer handler failed: Error: boom');
  });

  it('closes while a client keeps a connection alive', async () => {
    peer = await startHttpsPeer((_req, _body, res) => void res.end('ok'));
    const agent = new Agent({ keepAlive: true, ca: peer.ca });
    expect((await get(peer.url, { agent })).text).toBe('ok');
    await peer.close();
    peer = undefined;
    agent.destroy();
  });

  it('is trusted by a subprocess through NODE_EXTRA_CA_CERTS', async () => {
    peer = await startHttpsPeer((_req, _body, res) => void res.end('from peer'));
    const script = `
      const https = require('node:https');
      https.get(process.argv[1], (res) => { let s = ''; res.on('data', (c) => s += c); res.on('end', async () => {
        const f = await fetch(process.argv[1]).then((r) => r.text());
        console.log(s + ' / ' + f);
      }); }).on('error', (e) => { console.error(e.message); process.exit(1); });`;
    const run = (env: NodeJS.ProcessEnv) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        // Asynchronously: spawnSync would block the peer, which lives in this process.
        execFile(process.execPath, ['-e', script, `${peer!.url}/`], { env }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }));
      });
    const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
    expect(await run({ ...env, NODE_EXTRA_CA_CERTS: peer.caFile })).toEqual({ code: 0, out: 'from peer / from peer\n' });
    const untrusted = await run(env);
    expect(untrusted.code).not.toBe(0);
    expect(untrusted.out).toMatch(/self[- ]signed/i);
  });

  it('openssl (when installed) accepts the certificate too', () => {
    const r = spawnSync('openssl', ['verify', '-CAfile', testCertificate().file, testCertificate().file], { encoding: 'utf8' });
    if (r.error) return; // openssl is optional: the peer does not need it
    expect(r.stdout.trim()).toBe(`${testCertificate().file}: OK`);
  });
});

describe('tokenEndpoint', () => {
  it('gives the real ClientSecretCredential a token and records what it sent', async () => {
    const entra = tokenEndpoint({ accessToken: 'tok-123' });
    peer = await startHttpsPeer((req, body, res) => {
      if (!entra.handle(req, body, res)) res.writeHead(404).end();
    });
    const credential = new ClientSecretCredential('tenant-1', 'client-1', 'secret-1', {
      authorityHost: peer.url,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: peer.ca },
    });
    const token = await credential.getToken('https://vault.azure.net/.default');
    expect(token?.token).toBe('tok-123');
    expect(token!.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000);
    expect(entra.requests).toHaveLength(1);
    expect(entra.requests[0]).toMatchObject({
      tenant: 'tenant-1',
      grantType: 'client_credentials',
      clientId: 'client-1',
      clientSecret: 'secret-1',
    });
    expect(entra.requests[0]!.scope?.split(' ')).toContain('https://vault.azure.net/.default');
    // Nothing went to the real login.microsoftonline.com: every request reached the peer.
    expect(peer.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      'GET /tenant-1/v2.0/.well-known/openid-configuration',
      'POST /tenant-1/oauth2/v2.0/token',
    ]);
  });

  it('can refuse with an OAuth error', async () => {
    const entra = tokenEndpoint({ failWith: { status: 401, error: 'invalid_client', description: 'AADSTS7000215: Invalid client secret provided.' } });
    peer = await startHttpsPeer((req, body, res) => {
      if (!entra.handle(req, body, res)) res.writeHead(404).end();
    });
    const credential = new ClientSecretCredential('tenant-1', 'client-1', 'wrong', {
      authorityHost: peer.url,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: peer.ca },
    });
    await expect(credential.getToken('https://vault.azure.net/.default')).rejects.toThrow(/AADSTS7000215/);
  });
});
