/**
 * `auditlake run --config FILE`: the long-lived consumer. JSON logs on stdout; SIGTERM/SIGINT
 * finish the batch in hand, store it with its positions and exit within
 * `service.shutdownTimeoutSeconds` (a second signal exits at once; nothing is lost either way,
 * since positions are stored with the rows).
 */
import { Command } from 'commander';
import { loadConfig, WORKER_LIMITS, type Config } from '../config.js';
import { detectionSetup } from '../detect.js';
import { expiredExceptions } from '../detectors/exceptions.js';
import { AuditlakeError } from '../errors.js';
import { prepareForAzure } from '../azure/prepare.js';
import { createLogger } from '../service/log.js';
import { startService } from '../service/service.js';
import { dbOption, defaultWorkers, positiveInt, resolveDb } from './common.js';

interface RunOptions { config: string; db?: string; check?: boolean; workers?: number }

export function runCommand(): Command {
  return new Command('run')
    .description('Consume Event Hubs and Kafka sources into the database, detect, and serve health, metrics and '
      + 'read-only SQL on loopback (see auditlake.yaml: sources, server, service). Logs are JSON lines on stdout. '
      + 'While it runs, `auditlake query` and `auditlake alerts` on the same database go through its server.')
    .requiredOption('--config <file>', 'auditlake.yaml')
    .addOption(dbOption({ withConfig: true }))
    .option('--check', 'validate the configuration and exit')
    .option('--workers <n>', `decode worker threads (default: ${defaultWorkers()})`, positiveInt('--workers', WORKER_LIMITS))
    .action(async (opts: RunOptions) => {
      const config = loadConfig(opts.config);
      const sourceCount = config.sources.eventhubs.length + config.sources.kafka.length;
      if (sourceCount === 0) throw new AuditlakeError('bad_config', `${opts.config}: sources: no eventhubs or kafka source is configured`);
      await detectionSetup(config.detectors, opts.config); // refuses an entry that names no detector, or could never match
      if (opts.check) {
        process.stdout.write(`${opts.config}: valid. ${describe(config)}\n`);
        for (const w of configWarnings(config)) process.stdout.write(`warning: ${w}\n`);
        return;
      }
      await run(config, opts);
    });
}

async function run(fileConfig: Config, opts: RunOptions): Promise<void> {
  const log = createLogger(fileConfig.service.logLevel);
  for (const w of configWarnings(fileConfig)) log.warn({}, w);
  const { config, credential } = await prepareForAzure(fileConfig);
  const db = resolveDb(opts.db, config.db);
  const service = await startService({ config, db, log, credential, workers: opts.workers ?? config.replay.workers ?? defaultWorkers() });

  const timeoutMs = config.service.shutdownTimeoutSeconds * 1000;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn({ signal }, 'Second signal: exiting now; the next start resumes from the stored positions.');
      process.exit(130);
    }
    setTimeout(() => {
      log.error({ timeoutSeconds: config.service.shutdownTimeoutSeconds }, 'Shutdown took too long; exiting. The next start resumes from the stored positions.');
      process.exit(1);
    }, timeoutMs).unref();
    void service.stop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await service.done;
  } catch (err) {
    await service.stop('failure');
    throw err;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  await service.stop('sources ended');
  // Committed, positions moved, everything closed: exit now rather than wait on a client
  // library's own timers. The Event Hubs SDK keeps a request to a namespace that stopped
  // answering pending until its 60 s timeout, and the shutdown timer then exited 1 after a
  // clean stop (stdout is written synchronously on Linux: the last log line is out).
  process.exit(0);
}

function describe(config: Config): string {
  const hubs = config.sources.eventhubs.flatMap((e) => e.hubs);
  const topics = config.sources.kafka.flatMap((k) => k.topics);
  const parts = [];
  if (hubs.length > 0) parts.push(`Event Hubs: ${hubs.join(', ')}`);
  if (topics.length > 0) parts.push(`Kafka topics: ${topics.join(', ')}`);
  parts.push(config.server.enabled ? `server on ${config.server.host}:${config.server.port}` : 'no server');
  if (config.export) parts.push(`export every ${config.export.everyHours} h to ${config.export.to}`);
  if (config.retention) parts.push(`retention ${config.retention.days} days${config.export ? ' (exported events only)' : ''}`);
  if (config.detectors.exceptions.length > 0) parts.push(`${config.detectors.exceptions.length} detector exception${config.detectors.exceptions.length === 1 ? '' : 's'}`);
  return `${parts.join('; ')}.`;
}

/** What a valid config may still be wrong about: keys in the file, exceptions that have expired. */
function configWarnings(config: Config): string[] {
  return [...connectionStringWarnings(config), ...expiredExceptions(config.detectors.exceptions)];
}

/** Keys in a file are accepted, but said out loud: they leak, and unlike managed identities they do not expire. */
function connectionStringWarnings(config: Config): string[] {
  const warnings: string[] = [];
  config.sources.eventhubs.forEach((e, i) => {
    if (e.connectionString) warnings.push(`sources.eventhubs.${i}: a connection string is configured; prefer fullyQualifiedNamespace with a managed identity.`);
    if (e.checkpoints.store === 'blob' && e.checkpoints.connectionString) warnings.push(`sources.eventhubs.${i}.checkpoints: a storage connection string is configured; prefer containerUrl with a managed identity.`);
  });
  config.sources.kafka.forEach((k, i) => {
    if (k.eventHubsConnectionString) warnings.push(`sources.kafka.${i}: an Event Hubs connection string is configured for the Kafka endpoint; keep it in Key Vault (keyvault: reference).`);
  });
  if (config.export?.connectionString) warnings.push('export: a storage connection string is configured; prefer azure.credential (a managed identity with Storage Blob Data Contributor).');
  return warnings;
}
