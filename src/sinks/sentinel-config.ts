/**
 * `sinks.sentinel` in auditlake.yaml (what it does, and the Azure side: sentinel.ts). No SDK:
 * config validation loads this; sentinel.ts, which sends, loads @azure/monitor-ingestion.
 */
import { z } from 'zod';
import { sinkCommon } from './sink.js';

export const DEFAULT_STREAM = 'Custom-AuditLakeAlerts_CL';

export const sentinelSchema = z.strictObject({
  ...sinkCommon,
  /** The data collection endpoint's (or a Direct DCR's) logs ingestion endpoint. */
  endpoint: z.url({ protocol: /^https$/, error: 'expected the https:// logs ingestion endpoint of the DCE or DCR' }),
  /** The DCR's immutable id (not its resource id). */
  ruleId: z.string().regex(/^dcr-[0-9a-f]{32}$/i, 'expected the DCR immutable id: dcr- and 32 hex digits'),
  streamName: z.string().regex(/^Custom-[A-Za-z0-9_]+$/, 'expected a custom stream name: Custom-<name>').default(DEFAULT_STREAM),
  timeoutSeconds: z.number().positive().max(600).default(30),
  maxBatch: z.int().min(1).max(10_000).default(500),
});

export type SentinelSinkConfig = z.infer<typeof sentinelSchema>;
