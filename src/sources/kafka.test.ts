import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../service/log.js';
import { kafkaConnection, kafkaSchema } from './kafka-config.js';
import { kafkaLogCreator } from './kafka.js';

describe('Kafka source configuration', () => {
  it('turns an Event Hubs connection string into its Kafka endpoint: TLS, port 9093, SASL PLAIN as $ConnectionString', () => {
    const cs = 'Endpoint=sb://contoso-logs.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=abc=';
    const config = kafkaSchema.parse({ eventHubsConnectionString: cs, topics: ['insights-logs-auditevent'] });
    expect(kafkaConnection(config)).toEqual({
      brokers: ['contoso-logs.servicebus.windows.net:9093'],
      ssl: true,
      sasl: { mechanism: 'plain', username: '$ConnectionString', password: cs },
    });
    // Event Hubs closes connections idle for 240 s; its session timeout must be 6–300 s.
    expect(config.metadataMaxAgeSeconds).toBeLessThan(240);
    expect(config.sessionTimeoutSeconds).toBeGreaterThanOrEqual(6);
    expect(kafkaSchema.safeParse({ ...config, metadataMaxAgeSeconds: 300 }).success).toBe(false);
    expect(kafkaSchema.safeParse({ ...config, sessionTimeoutSeconds: 5 }).success).toBe(false);
    // kafkajs's own fetch wait by default; at most 10 s, the time run's shutdown leaves its sources to close.
    expect(config.maxWaitTimeSeconds).toBe(5);
    expect(kafkaSchema.safeParse({ ...config, maxWaitTimeSeconds: 0.2 }).success).toBe(true);
    expect(kafkaSchema.safeParse({ ...config, maxWaitTimeSeconds: 11 }).success).toBe(false);
  });

  it('passes plain brokers, TLS and SASL through for any other cluster', () => {
    const config = kafkaSchema.parse({ brokers: ['kafka-1:9092'], topics: ['t'], ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
    expect(kafkaConnection(config)).toEqual({ brokers: ['kafka-1:9092'], ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
  });

  it('refuses a connection string without an endpoint, naming the key', () => {
    const config = kafkaSchema.parse({ eventHubsConnectionString: 'SharedAccessKey=abc', topics: ['t'] });
    expect(() => kafkaConnection(config)).toThrow(/sources\.kafka: eventHubsConnectionString has no Endpoint=sb:\/\/<namespace>\//);
  });
});

describe('kafkajs log lines', () => {
  it('are redacted as auditlake\'s own: a connection string quoted by kafkajs keeps no key', () => {
    const lines: string[] = [];
    const log = createLogger('warn', new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
    const entry = kafkaLogCreator(log)(logLevel.ERROR);
    entry({ namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: {
      timestamp: '', logger: 'kafkajs',
      message: 'Connection error: Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=KEYSECRET123=',
      error: 'SASL PLAIN authentication failed for password=PWSECRET456',
    } });
    expect(lines.join('')).toMatch(/Connection error/);
    expect(lines.join('')).not.toMatch(/KEYSECRET123|PWSECRET456/);
  });
});
