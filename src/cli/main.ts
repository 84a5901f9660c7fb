/** `auditlake`: one file per command; this one only assembles them and turns errors into exits. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { packageRoot } from '../paths.js';
import { AuditlakeError } from '../errors.js';
import { redactSecrets } from '../schema/redact.js';
/**
 * Each command's module, loaded only when that command runs (all of them for the root --help):
 * each one's own dependencies (config validation, the pipeline, the server) are its start-up
 * alone, which `auditlake query` at 3 a.m. should not pay. The Azure SDKs and kafkajs, ~0.7 s
 * more, are loaded later still, by the code that calls them (test/cli-start-up.test.ts).
 * In the order `--help` lists them.
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
    // Our own package.json: under `npm run`, $npm_package_version is the calling project's.
    .version(packageVersion())
    .showHelpAfterError()
    // A subcommand's options after its name are its own (`alerts redeliver --since` is not `alerts --since`).
    .enablePositionalOptions()
    .exitOverride();
  for (const command of await Promise.all((named.length > 0 ? named : COMMANDS).map(([, load]) => load()))) {
    // The root --help lists a line per command; `<command> --help` gives the whole description.
    if (!command.summary()) command.summary(firstSentence(command.description()));
    root.addCommand(command);
    throwInsteadOfExit(command);
  }
  return root;
}

/**
 * addCommand, unlike .command(), does not pass exitOverride down: without this, a subcommand's
 * argument error would exit 1 from inside commander, before exitCodeFor could make it 2.
 */
function throwInsteadOfExit(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) throwInsteadOfExit(sub);
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
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
    // Commander answers `help frob` with the root help and no word about frob.
    if (argv[0] === 'help' && argv[1] !== undefined && !COMMANDS.some(([name]) => name === argv[1])) {
      throw new AuditlakeError('bad_argument', `help ${argv[1]}: no such command (commands: ${COMMANDS.map(([name]) => name).join(', ')})`);
    }
    await (await program(argv)).parseAsync(argv, { from: 'user' });
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  // Commander has printed it already. Anything it rejects (unknown command or option, a missing
  // or invalid argument) is a wrong argument: 2, as for ours; --help and --version stay 0.
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof AuditlakeError) {
    // Messages can quote what came from Azure SDKs (URIs, connection strings): redact on the way out.
    process.stderr.write(`auditlake: ${redactSecrets(err.message)}\n`);
    return err.code === 'bad_argument' ? 2 : 1;
  }
  process.stderr.write(`auditlake: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 70;
}
