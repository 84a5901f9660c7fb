/** `auditlake run --check` and the config errors an operator meets first, through the real CLI. */
import { afterAll, describe, expect, it } from 'vitest';
import { runCliAsync } from './support/cli.js';
import { tempDir } from './support/db.js';
import { writeConfig } from './support/service.js';

const tmp = tempDir('auditlake-run-config-');
afterAll(() => tmp.cleanup());

const KEY = 'c2VjcmV0LWtleS12YWx1ZS1ub3QtZm9yLWxvZ3M=';
const eventhubs = { connectionString: `Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=${KEY}`, hubs: ['insights-logs-auditevent'] };

async function check(config: object, env: Record<string, string> = {}) {
  return runCliAsync(['run', '--check', '--config', writeConfig(tmp.dir, config, `c${Math.random().toString(36).slice(2)}.yaml`)], { env });
}

describe('auditlake run --check', () => {
  it('validates a config, summarizes it and warns about connection strings without printing them', async () => {
    const r = await check({
      sources: {
        eventhubs: [eventhubs, { fullyQualifiedNamespace: 'ns2.servicebus.windows.net', hubs: ['insights-activity-logs'], checkpoints: { store: 'blob', containerUrl: 'https://acct.blob.core.windows.net/checkpoints' } }],
        kafka: [{ brokers: ['127.0.0.1:9092'], topics: ['signin'] }],
      },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid\. Event Hubs: insights-logs-auditevent, insights-activity-logs; Kafka topics: signin; server on 127\.0\.0\.1:8780/);
    expect(r.stdout).toMatch(/warning: sources\.eventhubs\.0: a connection string is configured; prefer fullyQualifiedNamespace/);
    expect(r.stdout).not.toContain(KEY);
  });

  it('summarizes export and retention, and warns about a storage connection string', async () => {
    const r = await check({ sources: { eventhubs: [eventhubs] }, export: { to: 'az://acct1/audit/events', connectionString: `AccountKey=${KEY}` }, retention: { days: 90 } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/export every 24 h to az:\/\/acct1\/audit\/events; retention 90 days \(exported events only\)/);
    expect(r.stdout).toMatch(/warning: export: a storage connection string is configured/);
    expect(r.stdout).not.toContain(KEY);
  });

  it('counts the detector exceptions, and warns about one that has expired', async () => {
    const r = await check({
      sources: { eventhubs: [{ fullyQualifiedNamespace: 'ns2.servicebus.windows.net', hubs: ['insights-logs-auditevent'] }] },
      detectors: {
        exceptions: [
          { detector: 'keyvault.', principal: 'deploy@contoso.example', reason: 'nightly pipeline' },
          { detector: 'storage.listkeys-then-key-read', callerIp: '10.20.4.0/24', reason: 'migration window', expires: '2025-11-14' },
        ],
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/; 2 detector exceptions\.\n/);
    expect(r.stdout).toContain('warning: detectors.exceptions[1] (migration window) expired 2025-11-14: new activity it matched is alerted again; extend or remove it.');
    expect(r.stdout).not.toContain('exceptions[0]');
  });

  it.each([
    ['an exception for no principal, resource or address', { sources: { eventhubs: [eventhubs] }, detectors: { exceptions: [{ detector: 'keyvault.', reason: 'r' }] } },
      /detectors\.exceptions\[0\]: give principal, resource or callerIp/],
    ['a prefetchCount of 0', { sources: { eventhubs: [{ ...eventhubs, prefetchCount: 0 }] } }, /sources\.eventhubs\.0\.prefetchCount: Too small: expected number to be >=1/],
    ['a hub without namespace or connection string', { sources: { eventhubs: [{ hubs: ['x'] }] } }, /sources\.eventhubs\.0: give either fullyQualifiedNamespace .* or connectionString/],
    ['a Kafka session timeout over 300 s', { sources: { kafka: [{ brokers: ['127.0.0.1:9092'], topics: ['t'], sessionTimeoutSeconds: 400 }] } }, /sources\.kafka\.0\.sessionTimeoutSeconds: Too big/],
    ['a broker without port', { sources: { kafka: [{ brokers: ['localhost'], topics: ['t'] }] } }, /sources\.kafka\.0\.brokers\.0: expected host:port/],
    ['blob checkpoints without a container', { sources: { eventhubs: [{ ...eventhubs, checkpoints: { store: 'blob' } }] } }, /sources\.eventhubs\.0\.checkpoints.*containerUrl, or connectionString and container/],
    ['a misspelt key', { sources: { eventhubs: [{ ...eventhubs, hub: 'typo' }] } }, /sources\.eventhubs\.0: Unrecognized key: "hub"/],
    ['no source', { sources: {} }, /sources: no eventhubs or kafka source is configured/],
    ['a malformed az:// export target', { sources: { eventhubs: [eventhubs] }, export: { to: 'az://Acct/c' } }, /export\.to: expected az:\/\/<storage account>\/<container>/],
    ['retention of 0 days', { sources: { eventhubs: [eventhubs] }, retention: { days: 0 } }, /retention\.days: Too small: expected number to be >=1/],
    ['a Key Vault reference as the credential secret', { azure: { credential: { kind: 'clientSecret', tenantId: 't', clientId: 'c', clientSecret: 'keyvault:https://v.vault.azure.net/secrets/s' } }, sources: { eventhubs: [eventhubs] } },
      /azure\.credential\.clientSecret: a Key Vault reference cannot hold the secret used to read Key Vault/],
  ])('refuses %s, naming the key', async (_label, config, message) => {
    const r = await check(config);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain(KEY);
  });

  it('needs --config', async () => {
    const r = await runCliAsync(['run']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/required option '--config <file>'/);
  });
});
