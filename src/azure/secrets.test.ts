import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHttpsPeer, tokenEndpoint, type HttpsPeer, type TokenEndpoint } from '../../test/support/https-peer.js';
import { AuditlakeError } from '../errors.js';
import { redactSecrets } from '../schema/redact.js';
import { credentialFrom } from './credential.js';
import { isSecretReference, parseSecretReference } from './secret-reference.js';
import { resolveSecretReferences } from './secrets.js';

const TENANT = 'tenant-1';
const CLIENT_SECRET = 'client-secret-do-not-print';
const SECRETS: Record<string, string> = {
  eh: 'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=EH-KEY-VALUE',
  'storage/0123456789abcdef0123456789abcdef': 'STORAGE-KEY-VALUE-v1',
};
const FAIL: Record<string, [number, string, string]> = {
  denied: [403, 'Forbidden', 'Caller is not authorized to perform action on resource.'],
  missing: [404, 'SecretNotFound', 'A secret with (name/id) missing was not found in this key vault.'],
};

/** Key Vault as the SDK sees it: challenge first, then bearer-authenticated GET /secrets/<name>[/<version>]. */
function keyVault(entra: TokenEndpoint, vaultUrl: () => string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void =>
      void res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
    const url = new URL(req.url ?? '/', 'https://vault');
    const m = /^\/secrets\/([^/]+)\/?([^/]*)$/.exec(url.pathname);
    if (!m || req.method !== 'GET' || !url.searchParams.get('api-version')) return json(400, { error: { code: 'BadParameter', message: `unexpected ${req.method} ${req.url}` } });
    if (req.headers.authorization !== `Bearer ${entra.accessToken}`) {
      return json(401, { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } }, {
        'www-authenticate': `Bearer authorization="${vaultUrl()}/${TENANT}", resource="https://vault.azure.net"`,
      });
    }
    const [name, version] = [m[1]!, m[2]!];
    const fail = FAIL[name];
    if (fail) return json(fail[0], { error: { code: fail[1], message: fail[2] } });
    const value = SECRETS[version ? `${name}/${version}` : name];
    if (value === undefined) return json(404, { error: { code: 'SecretNotFound', message: `A secret with (name/id) ${name} was not found in this key vault.` } });
    json(200, {
      value,
      id: `${vaultUrl()}/secrets/${name}/${version || '0123456789abcdef0123456789abcdef'}`,
      attributes: { enabled: true, created: 1700000000, updated: 1700000000, recoveryLevel: 'Recoverable+Purgeable' },
    });
  };
}

let peer: HttpsPeer;
let entra: TokenEndpoint;
let credential: TokenCredential;
const testOptions = () => ({ disableChallengeResourceVerification: true, tlsOptions: { ca: peer.ca }, retryOptions: { maxRetries: 0 } });

beforeAll(async () => {
  entra = tokenEndpoint();
  const vault = keyVault(entra, () => peer.url);
  peer = await startHttpsPeer((req, body, res) => {
    if (!entra.handle(req, body, res)) vault(req, res);
  });
  credential = credentialFrom(
    { kind: 'clientSecret', tenantId: TENANT, clientId: 'client-1', clientSecret: CLIENT_SECRET, authorityHost: peer.url },
    { tlsOptions: { ca: peer.ca } },
  );
});
afterAll(() => peer.close());
beforeEach(() => {
  peer.requests.length = 0;
  entra.requests.length = 0;
});

const secretGets = () => peer.requests.filter((r) => r.path.startsWith('/secrets/'));

describe('isSecretReference / parseSecretReference', () => {
  it('recognises the prefix and parses vault, name and version', () => {
    expect(isSecretReference('keyvault:https://v.vault.azure.net/secrets/eh')).toBe(true);
    expect(isSecretReference('keyvault:nonsense')).toBe(true); // resolved or rejected, never literal
    expect(isSecretReference('Endpoint=sb://x/')).toBe(false);
    expect(isSecretReference(42)).toBe(false);
    expect(parseSecretReference('keyvault:https://v.vault.azure.net/secrets/eh')).toEqual({
      vaultUrl: 'https://v.vault.azure.net', name: 'eh', version: undefined, id: 'https://v.vault.azure.net/secrets/eh',
    });
    expect(parseSecretReference('keyvault:https://v.vault.azure.net/secrets/eh-2/0123456789abcdef0123456789abcdef')).toMatchObject({
      name: 'eh-2', version: '0123456789abcdef0123456789abcdef',
    });
    for (const bad of ['keyvault:http://v.vault.azure.net/secrets/eh', 'keyvault:https://v.vault.azure.net/keys/eh',
      'keyvault:https://v.vault.azure.net/secrets/', 'keyvault:https://v.vault.azure.net/secrets/e_h', 'keyvault:v/secrets/eh',
      'keyvault:https://v.vault.azure.net/secrets/eh?x=1', 'keyvault:https://v.vault.azure.net/secrets/eh/v1/extra']) {
      expect(parseSecretReference(bad), bad).toBeUndefined();
    }
  });
});

describe('resolveSecretReferences against a local Key Vault and Entra', () => {
  it('replaces each reference with its value, reading each secret once with a bearer token', async () => {
    const eh = `keyvault:${peer.url}/secrets/eh`;
    const storage = `keyvault:${peer.url}/secrets/storage/0123456789abcdef0123456789abcdef`;
    const doc = {
      db: 'audit.duckdb',
      sources: { eventhubs: [{ connectionString: eh, partitions: [0, 1] }, { connectionString: eh, enabled: true }] },
      checkpoints: { storageKey: storage, note: null },
    };
    const resolved = await resolveSecretReferences(doc, credential, testOptions());
    expect(resolved).toEqual({
      db: 'audit.duckdb',
      sources: { eventhubs: [{ connectionString: SECRETS.eh, partitions: [0, 1] }, { connectionString: SECRETS.eh, enabled: true }] },
      checkpoints: { storageKey: SECRETS['storage/0123456789abcdef0123456789abcdef'], note: null },
    });
    expect(doc.sources.eventhubs[0]!.connectionString).toBe(eh); // the input is left alone

    // The challenge round: one unauthenticated probe, then every GET with the token; each secret once.
    const gets = secretGets().map((r) => [r.path.split('?')[0], r.headers.authorization ?? null]);
    expect(gets).toEqual([
      ['/secrets/eh/', null],
      ['/secrets/eh/', `Bearer ${entra.accessToken}`],
      ['/secrets/storage/0123456789abcdef0123456789abcdef', `Bearer ${entra.accessToken}`],
    ]);
    expect(entra.requests).toHaveLength(1);
    expect(entra.requests[0]).toMatchObject({ tenant: TENANT, grantType: 'client_credentials', clientId: 'client-1', clientSecret: CLIENT_SECRET });
    expect(entra.requests[0]!.scope?.split(' ')).toContain('https://vault.azure.net/.default');
  });

  it.each([
    ['denied', /: 403 Forbidden: Caller is not authorized to perform action on resource\.$/],
    ['missing', /: 404 Not Found: A secret with \(name\/id\) missing was not found in this key vault\.$/],
  ])('names the key path and the reference when a secret is %s, and no secret', async (name, detail) => {
    const ok = `keyvault:${peer.url}/secrets/eh`;
    const doc = { sources: { eventhubs: [{ connectionString: ok }, { connectionString: `keyvault:${peer.url}/secrets/${name}` }] } };
    const err = await resolveSecretReferences(doc, credential, testOptions()).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AuditlakeError);
    expect((err as AuditlakeError).code).toBe('bad_config');
    const message = (err as Error).message;
    expect(message.startsWith(`sources.eventhubs.1.connectionString: Key Vault secret ${peer.url}/secrets/${name} could not be read: `)).toBe(true);
    expect(message).toMatch(detail);
    for (const secret of [...Object.values(SECRETS), CLIENT_SECRET, entra.accessToken, 'EH-KEY-VALUE']) expect(message).not.toContain(secret);
  });

  it('reports a credential that cannot get a token, naming path and reference, not the client secret', async () => {
    const refusing = tokenEndpoint({ failWith: { status: 401, error: 'invalid_client', description: 'AADSTS7000215: Invalid client secret provided.' } });
    const other = await startHttpsPeer((req, body, res) => {
      if (!refusing.handle(req, body, res)) keyVault(refusing, () => other.url)(req, res);
    });
    try {
      const cred = credentialFrom(
        { kind: 'clientSecret', tenantId: TENANT, clientId: 'client-1', clientSecret: CLIENT_SECRET, authorityHost: other.url },
        { tlsOptions: { ca: other.ca } },
      );
      const err = await resolveSecretReferences({ a: [`keyvault:${other.url}/secrets/eh`] }, cred, { ...testOptions(), tlsOptions: { ca: other.ca } })
        .then(() => undefined, (e: unknown) => e as Error);
      expect(err?.message).toMatch(new RegExp(`^a\\.0: Key Vault secret ${other.url}/secrets/eh could not be read: .*AADSTS7000215`));
      expect(err?.message).not.toContain(CLIENT_SECRET);
    } finally {
      await other.close();
    }
  });

  it('keeps challenge resource verification on unless asked: vault.azure.net is not 127.0.0.1', async () => {
    const { disableChallengeResourceVerification: _, ...options } = testOptions();
    await expect(resolveSecretReferences({ k: `keyvault:${peer.url}/secrets/eh` }, credential, options)).rejects.toThrow(
      /^k: Key Vault secret .* could not be read: The challenge resource 'vault\.azure\.net' does not match the requested domain/,
    );
    expect(entra.requests).toHaveLength(0); // no token was fetched for (or sent to) the wrong host
  });
});

describe('resolveSecretReferences without network', () => {
  const noCredential: TokenCredential = {
    getToken: () => {
      throw new Error('the credential must not be used');
    },
  };

  it('returns an equal copy and uses no credential when there are no references', async () => {
    const doc = { a: [1, 'two', { b: null, c: true }], d: 'keyvault-ish but not a reference' };
    const out = await resolveSecretReferences(doc, noCredential);
    expect(out).toEqual(doc);
    expect(out).not.toBe(doc);
  });

  it('rejects a malformed reference before any request, naming the path', async () => {
    await expect(resolveSecretReferences({ sinks: { sentinel: { secret: 'keyvault:https://v.vault.azure.net/keys/k' } } }, noCredential)).rejects.toThrow(
      'sinks.sentinel.secret: not a Key Vault secret reference: keyvault:https://v.vault.azure.net/keys/k (expected keyvault:https://<vault>.vault.azure.net/secrets/<name>[/<version>])',
    );
  });

  it('redactSecrets (src/schema/redact.ts) already masks connection-string keys for messages', () => {
    expect(redactSecrets(SECRETS.eh!)).toBe('Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=REDACTED');
    expect(redactSecrets('DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc/+==;EndpointSuffix=core.windows.net')).toBe(
      'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=REDACTED;EndpointSuffix=core.windows.net',
    );
    expect(redactSecrets('https://a.blob.core.windows.net/c?sv=2022-11-02&sig=abc%2Fdef&se=x')).toBe('https://a.blob.core.windows.net/c?sv=2022-11-02&sig=REDACTED&se=x');
    expect(redactSecrets('Server=db;User Id=u;Password=hunter2;')).toBe('Server=db;User Id=u;Password=REDACTED;');
  });
});
