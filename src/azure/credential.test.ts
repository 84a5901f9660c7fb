import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { startHttpsPeer, tokenEndpoint } from '../../test/support/https-peer.js';
import { credentialSchema } from './credential-config.js';
import { credentialFrom } from './credential.js';

const firstIssue = (input: unknown): string => {
  const r = credentialSchema.safeParse(input);
  if (r.success) return 'ok';
  const issue = r.error.issues[0]!;
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
};

describe('credentialSchema', () => {
  it('accepts the three kinds', () => {
    expect(credentialSchema.parse({ kind: 'default' })).toEqual({ kind: 'default' });
    expect(credentialSchema.parse({ kind: 'default', managedIdentityClientId: 'mi-1' })).toEqual({ kind: 'default', managedIdentityClientId: 'mi-1' });
    expect(credentialSchema.parse({ kind: 'managedIdentity' })).toEqual({ kind: 'managedIdentity' });
    expect(credentialSchema.parse({ kind: 'managedIdentity', clientId: 'mi-1' })).toEqual({ kind: 'managedIdentity', clientId: 'mi-1' });
    const sp = { kind: 'clientSecret', tenantId: 'contoso.onmicrosoft.com', clientId: 'c', clientSecret: 's', authorityHost: 'https://login.microsoftonline.us' };
    expect(credentialSchema.parse(sp)).toEqual(sp);
  });

  it('says what is wrong, by key', () => {
    expect(firstIssue({})).toMatch(/^kind: /);
    expect(firstIssue({ kind: 'azureCli' })).toMatch(/^kind: /);
    expect(firstIssue({ kind: 'clientSecret', tenantId: 't', clientId: 'c' })).toMatch(/^clientSecret: /);
    expect(firstIssue({ kind: 'clientSecret', tenantId: 'bad tenant!', clientId: 'c', clientSecret: 's' })).toBe(
      'tenantId: expected a tenant id: a GUID or a domain such as contoso.onmicrosoft.com',
    );
    expect(firstIssue({ kind: 'clientSecret', tenantId: 't', clientId: 'c', clientSecret: 's', authorityHost: 'http://127.0.0.1:1' })).toBe(
      'authorityHost: expected an https:// URL',
    );
    expect(firstIssue({ kind: 'clientSecret', tenantId: 't', clientId: 'c', clientSecret: 'keyvault:https://v.vault.azure.net/secrets/s' })).toMatch(
      /^clientSecret: a Key Vault reference cannot hold the secret used to read Key Vault/,
    );
    expect(firstIssue({ kind: 'managedIdentity', clientSecret: 's' })).toMatch(/^\(root\): Unrecognized key/);
  });
});

describe('credentialFrom', () => {
  it('builds the credential each kind names, DefaultAzureCredential when none', () => {
    expect(credentialFrom(undefined)).toBeInstanceOf(DefaultAzureCredential);
    expect(credentialFrom({ kind: 'default' })).toBeInstanceOf(DefaultAzureCredential);
    expect(credentialFrom({ kind: 'default', managedIdentityClientId: 'mi-1' })).toBeInstanceOf(DefaultAzureCredential);
    expect(credentialFrom({ kind: 'managedIdentity', clientId: 'mi-1' })).toBeInstanceOf(ManagedIdentityCredential);
    expect(credentialFrom({ kind: 'clientSecret', tenantId: 't', clientId: 'c', clientSecret: 's' })).toBeInstanceOf(ClientSecretCredential);
  });

  it('clientSecret with authorityHost gets its token from that host', async () => {
    const entra = tokenEndpoint();
    const peer = await startHttpsPeer((req, body, res) => {
      if (!entra.handle(req, body, res)) res.writeHead(404).end();
    });
    try {
      const config = credentialSchema.parse({ kind: 'clientSecret', tenantId: 'tenant-1', clientId: 'client-1', clientSecret: 'secret-1', authorityHost: peer.url });
      const credential = credentialFrom(config, { tlsOptions: { ca: peer.ca } });
      const token = await credential.getToken('https://monitor.azure.com/.default');
      expect(token?.token).toBe(entra.accessToken);
      expect(entra.requests).toEqual([
        expect.objectContaining({ tenant: 'tenant-1', grantType: 'client_credentials', clientId: 'client-1', clientSecret: 'secret-1' }),
      ]);
      expect(entra.requests[0]!.scope?.split(' ')).toContain('https://monitor.azure.com/.default');
      // A second call is served from MSAL's cache.
      await credential.getToken('https://monitor.azure.com/.default');
      expect(entra.requests).toHaveLength(1);
    } finally {
      await peer.close();
    }
  });
});
