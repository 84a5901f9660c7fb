/** `auditlake`: one file per command; this one only assembles them and turns errors into exits. */
import { Command, CommanderError } from 'commander';
import { AuditlakeError } from '../errors.js';
import { redactSecrets } from '../schema/redact.js';
import { alertsCommand } from './alerts.js';
import { backfillCommand } from './backfill.js';
import { checkpointsCommand } from './checkpoints.js';
import { compactCommand } from './compact.js';
import { demoCommand } from './demo.js';
import { detectorsCommand } from './detectors.js';
import { exportCommand } from './export.js';
import { queryCommand } from './query.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';

export function program(): Command {
  return new Command('auditlake')
    .description('Audit-log analytics for Azure AI workloads: Azure diagnostic, Activity and Entra ID logs into DuckDB, '
      + 'streaming detectors, SQL investigations. `auditlake demo` runs the bundled demo day; `auditlake <command> --help` explains each command.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError()
    // A subcommand's options after its name are its own (`alerts redeliver --since` is not `alerts --since`).
    .enablePositionalOptions()
    .exitOverride()
    .addCommand(demoCommand())
    .addCommand(replayCommand())
    .addCommand(backfillCommand())
    .addCommand(runCommand())
    .addCommand(queryCommand())
    .addCommand(alertsCommand())
    .addCommand(detectorsCommand())
    .addCommand(exportCommand())
    .addCommand(compactCommand())
    .addCommand(checkpointsCommand())
    .addCommand(serveCommand());
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv, { from: 'user' });
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode; // commander already printed it (0 for --help)
  if (err instanceof AuditlakeError) {
    // Messages can quote what came from Azure SDKs (URIs, connection strings): redact on the way out.
    process.stderr.write(`auditlake: ${redactSecrets(err.message)}\n`);
    return err.code === 'bad_argument' ? 2 : 1;
  }
  process.stderr.write(`auditlake: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 70;
}
