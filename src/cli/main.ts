/** `auditlake`: one file per command; this one only assembles them and turns errors into exits. */
import { Command, CommanderError } from 'commander';
import { AuditlakeError } from '../errors.js';
import { redactSecrets } from '../schema/redact.js';
/**
 * Each command's module, loaded only when that command runs (all of them for the root --help):
 * some pull in Azure SDKs that cost about a second of start-up, which `auditlake query` at
 * 3 a.m. should not pay. In the order `--help` lists them.
 */
const COMMANDS: Array<[string, () => Promise<Command>]> = [
  ['demo', async () => (await import('./demo.js')).demoCommand()],
  ['replay', async () => (await import('./replay.js')).replayCommand()],
  ['backfill', async () => (await import('./backfill.js')).backfillCommand()],
  ['run', async () => (await import('./run.js')).runCommand()],
  ['query', async () => (await import('./query.js')).queryCommand()],
  ['alerts', async () => (await import('./alerts.js')).alertsCommand()],
  ['detectors', async () => (await import('./detectors.js')).detectorsCommand()],
  ['export', async () => (await import('./export.js')).exportCommand()],
  ['compact', async () => (await import('./compact.js')).compactCommand()],
  ['checkpoints', async () => (await import('./checkpoints.js')).checkpointsCommand()],
  ['serve', async () => (await import('./serve.js')).serveCommand()],
];

/** The CLI for these arguments: the root has no options that take a value, so the first word is the command. */
export async function program(argv: string[] = []): Promise<Command> {
  const named = COMMANDS.filter(([name]) => name === argv.find((a) => !a.startsWith('-')));
  const root = new Command('auditlake')
    .description('Audit-log analytics for Azure AI workloads: Azure diagnostic, Activity and Entra ID logs into DuckDB, '
      + 'streaming detectors, SQL investigations. `auditlake demo` runs the bundled demo day; `auditlake <command> --help` explains each command.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError()
    // A subcommand's options after its name are its own (`alerts redeliver --since` is not `alerts --since`).
    .enablePositionalOptions()
    .exitOverride();
  for (const command of await Promise.all((named.length > 0 ? named : COMMANDS).map(([, load]) => load()))) {
    // The root --help lists a line per command; `<command> --help` gives the whole description.
    if (!command.summary()) command.summary(firstSentence(command.description()));
    root.addCommand(command);
  }
  return root;
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return (/^.*?\.(?=\s|$)/.exec(flat)?.[0] ?? flat).replace(/\.$/, '');
}

export async function main(argv: string[]): Promise<void> {
  // `auditlake … | head`: once the reader has gone, stop quietly, as a command in a pipe does.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
  try {
    await (await program(argv)).parseAsync(argv, { from: 'user' });
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
