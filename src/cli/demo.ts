/** `auditlake demo`: the embedded default — the bundled demo day through the real pipeline. */
import { join } from 'node:path';
import { Command } from 'commander';
import { fixturesDir } from '../paths.js';
import { dbOption, resolveDb } from './common.js';
import { briefOrder, SHORT_ID } from './alerts-brief.js';
import { replay } from './replay.js';

export const demoDataDir = join(fixturesDir, 'demo');

export function demoCommand(): Command {
  return new Command('demo')
    .description('Replay the bundled demo day (a fictional Azure ML tenant, fixtures/demo) into a local '
      + 'DuckDB file and print what was stored, rejected and alerted. No Azure account needed.')
    .addOption(dbOption())
    .action(async (opts: { db?: string }) => {
      const summary = await replay([demoDataDir], { db: resolveDb(opts.db), detect: true });
      const [first] = briefOrder([...summary.alerts.values()]);
      process.stdout.write(`\n${first ? `Open one:    npx auditlake alerts show --db ${resolveDb(opts.db)} ${first.alert_id.slice(0, SHORT_ID)}   (an id from the first column)\n` : ''}`
        + `Investigate: npx auditlake query --db ${resolveDb(opts.db)} --list\n`
        + `Or look:     npx auditlake serve --db ${resolveDb(opts.db)}   (the web console on 127.0.0.1)\n`);
    });
}
