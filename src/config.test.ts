import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';

describe('parseConfig', () => {
  it('fills defaults and substitutes environment variables', () => {
    const c = parseConfig('db: ${DATA}/a.duckdb\nreplay:\n  workers: 2\ndetectors:\n  disabled: [encryption., "${OFF:-rbac.new-grantor}"]\n', 'a.yaml', { DATA: '/var/lib/auditlake' });
    expect(c).toMatchObject({ db: '/var/lib/auditlake/a.duckdb', replay: { workers: 2 }, detectors: { disabled: ['encryption.', 'rbac.new-grantor'] } });
    expect(parseConfig('', 'empty.yaml')).toEqual({
      replay: {},
      detectors: { disabled: [], exceptions: [] },
      azure: {},
      sources: { eventhubs: [], kafka: [] },
      sinks: { sentinel: [], webhook: [], ndjson: [], stdout: [], kafka: [] },
      delivery: { pollSeconds: 2, initialBackoffSeconds: 1, maxBackoffSeconds: 300, replayDeadlineSeconds: 30 },
      server: { enabled: true, host: '127.0.0.1', port: 8780, queryTimeoutSeconds: 30, maxRows: 100_000 },
      service: { queueBatches: 8, shutdownTimeoutSeconds: 30, logLevel: 'info' },
    });
  });

  it('names the file, the key path and what was expected', () => {
    expect(() => parseConfig('replay:\n  workers: many\n', 'a.yaml')).toThrow(/^a\.yaml: replay\.workers: .*number/);
    expect(() => parseConfig('replay:\n  wrokers: 2\n', 'a.yaml')).toThrow(/a\.yaml: replay: .*wrokers/);
    expect(() => parseConfig('db: ${NOPE}\n', 'a.yaml', {})).toThrow('a.yaml: db: environment variable NOPE is not set');
    expect(() => parseConfig('db: [unclosed\n', 'a.yaml')).toThrow(/a\.yaml: not valid YAML/);
    expect(() => parseConfig('sources:\n  eventhubs:\n    - hubs: [h]\n      connectionString: x\n      prefetchCount: 0\n', 'a.yaml'))
      .toThrow(/^a\.yaml: sources\.eventhubs\.0\.prefetchCount: Too small/);
  });
});

describe('parseConfig: what is refused', () => {
  it('reports every issue, a line each with its key path, not only the first', () => {
    let message = '';
    try {
      parseConfig('replay:\n  workers: 65\n  maxRecordBytes: 1\nserver:\n  port: -1\n', 'a.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n')).toEqual([
      expect.stringMatching(/^a\.yaml: replay\.workers: Too big/),
      expect.stringMatching(/^a\.yaml: replay\.maxRecordBytes: Too small/),
      expect.stringMatching(/^a\.yaml: server\.port: Too small/),
    ]);
  });

  it('a hub listed twice, a namespace that is not a host name, an in-memory db', () => {
    expect(() => parseConfig('sources:\n  eventhubs:\n    - fullyQualifiedNamespace: ns.servicebus.windows.net\n      hubs: [a, b, a]\n', 'a.yaml'))
      .toThrow("a.yaml: sources.eventhubs.0.hubs.2: 'a' is listed already (hubs.0)");
    for (const ns of ['https://ns.servicebus.windows.net/hub', 'Endpoint=sb://ns/;SharedAccessKeyName=x', 'my namespace', '-ns.example']) {
      expect(() => parseConfig(`sources:\n  eventhubs:\n    - fullyQualifiedNamespace: "${ns}"\n      hubs: [a]\n`, 'a.yaml'))
        .toThrow('a.yaml: sources.eventhubs.0.fullyQualifiedNamespace: expected a host name like <namespace>.servicebus.windows.net');
    }
    for (const ns of ['ns.servicebus.windows.net', 'sb://ns.servicebus.windows.net/', 'localhost:5671', '127.0.0.1:5672']) {
      expect(parseConfig(`sources:\n  eventhubs:\n    - fullyQualifiedNamespace: "${ns}"\n      hubs: [a]\n`, 'a.yaml').sources.eventhubs[0]!.fullyQualifiedNamespace).toBe(ns);
    }
    expect(() => parseConfig('db: ":memory:"\n', 'a.yaml')).toThrow('a.yaml: db: expected a database file path');
  });
});
