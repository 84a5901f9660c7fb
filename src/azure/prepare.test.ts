import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpsPeer, type HttpsPeer } from '../../test/support/https-peer.js';
import { parseConfig } from '../config.js';
import { prepareForAzure } from './prepare.js';

let peer: HttpsPeer;
beforeAll(async () => {
  peer = await startHttpsPeer((_req, _body, res) => void res.writeHead(500).end());
});
afterAll(() => peer.close());

/** A config with a webhook whose secret is `secret`, and a credential whose token endpoint is the peer. */
const configWith = (secret: string) => parseConfig(JSON.stringify({
  azure: { credential: { kind: 'clientSecret', tenantId: 'tenant-1', clientId: 'client-1', clientSecret: 'client-secret-1', authorityHost: peer.url } },
  sinks: { webhook: [{ url: 'https://hooks.example.com/a', secret }] },
}), 'auditlake.yaml', {});

describe('prepareForAzure', () => {
  it('leaves a config without keyvault: references as it is, and asks for no token', async () => {
    const config = configWith('0123456789abcdef0123');
    const prepared = await prepareForAzure(config);
    expect(prepared.config).toEqual(config);
    expect(prepared.credential()).toBe(prepared.credential()); // one credential, built once
    expect(peer.requests).toEqual([]);
  });

  it('refuses a malformed reference, naming its key path, before any request', async () => {
    await expect(prepareForAzure(configWith('keyvault:not-a-vault-url'))).rejects.toThrow(
      /^sinks\.webhook\.0\.secret: not a Key Vault secret reference: keyvault:not-a-vault-url \(expected keyvault:https:/);
    expect(peer.requests).toEqual([]);
  });

  it('reads a reference from its vault (secrets.ts, loaded for it)', async () => {
    // The vault is the peer, whose certificate this process does not trust (secrets.test.ts
    // reads secrets with it trusted): the read fails at once, and says where and what.
    await expect(prepareForAzure(configWith(`keyvault:${peer.url}/secrets/hook`))).rejects.toThrow(
      `sinks.webhook.0.secret: Key Vault secret ${peer.url}/secrets/hook could not be read: `);
  });
});
