/**
 * `sinks.stdout`: alerts on standard output (or standard error), for `auditlake replay … | jq`.
 *
 * `auditlake run` logs JSON lines (pino) to stdout as well, so in `ndjson` format each alert is
 * wrapped: `{"alert":{…}}` and nothing else, while every log line has `level`, `time` and `msg`.
 * Pick the alerts out of a mixed stream with `jq -c 'select(.alert.alert_id) | .alert'`.
 * `text` is one readable line per alert, for people watching a terminal.
 */
import { z } from 'zod';
import type { AlertRow } from '../detectors/alert.js';
import { printable, printableJson } from '../schema/printable.js';
import { alertJson, atLeast, sinkCommon, SinkError, type Sink, type SinkContext } from './sink.js';

export const stdoutSchema = z.strictObject({
  ...sinkCommon,
  format: z.enum(['ndjson', 'text']).default('ndjson'),
  /** `stderr` keeps alerts apart from whatever else the command prints on stdout. */
  stream: z.enum(['stdout', 'stderr']).default('stdout'),
});

export type StdoutSinkConfig = z.infer<typeof stdoutSchema>;

/** `out` replaces the configured stream (tests, embedding). */
export function createStdoutSink(config: StdoutSinkConfig, ctx: SinkContext, out?: NodeJS.WritableStream): Sink {
  const stream = out ?? (config.stream === 'stderr' ? process.stderr : process.stdout);
  const line = config.format === 'text' ? textLine : (a: AlertRow) => `${printableJson(JSON.stringify({ alert: alertJson(a) }))}\n`;
  return {
    name: ctx.name,
    maxBatch: 500,
    accepts: atLeast(config.minSeverity),
    async send(alerts, signal) {
      signal.throwIfAborted();
      // One write per batch, awaited: a closed pipe (`| head`) becomes a SinkError, and a slow
      // reader holds the delivery loop back instead of buffering without bound.
      const text = alerts.map(line).join('');
      await new Promise<void>((resolve, reject) => {
        stream.write(text, (err) => (err ? reject(new SinkError(`${ctx.name}: cannot write to ${config.stream} (${err.message})`, { cause: err })) : resolve()));
      });
    },
  };
}

/** `2025-11-14T01:48:53.000Z HIGH keyvault.mass-secret-retrieval "Title" principal=… ip=… resource=… events=42 id=…` */
function textLine(a: AlertRow): string {
  const fields = [
    ['principal', a.principal_name ?? a.principal_id ?? a.app_id],
    ['ip', a.caller_ip],
    ['resource', a.resource_id],
    ['events', String(a.event_count)],
    ['id', a.alert_id],
  ].filter(([, v]) => v).map(([k, v]) => `${k}=${v}`);
  return `${printable(`${new Date(a.time_generated).toISOString()} ${a.severity.toUpperCase()} ${a.detector_id} ${JSON.stringify(a.title)} ${fields.join(' ')}`)}\n`;
}
