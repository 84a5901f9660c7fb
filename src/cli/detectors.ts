/** `auditlake detectors list|test`: the catalogue, and every detector proving itself on its own cases. */
import { Command, Option } from 'commander';
import { detectorMatcher } from '../detectors/define.js';
import { AuditlakeError } from '../errors.js';
import { writeText, type TextFormat } from './output.js';

async function catalogue() {
  const { detectors } = await import('../detectors/index.js');
  return detectors;
}

export function detectorsCommand(): Command {
  const cmd = new Command('detectors').description('The detector catalogue: list it, or run every detector\'s own cases.');
  cmd.command('list')
    .description('Print the catalogue: id, severity, shape, the log categories each needs, and its title.')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json', 'ndjson']).default('table'))
    .option('--verbose', 'with description, remediation, false positives and the diagnostic setting to enable (json/ndjson)')
    .action(async (opts: { format: TextFormat; verbose?: boolean }) => {
      const list = await catalogue();
      const columns = ['id', 'severity', 'shape', 'techniques', 'needs', 'title', ...(opts.verbose ? ['description', 'remediation', 'false_positives', 'setting'] : [])];
      const rows = list.map((d) => [
        d.id, d.severity, d.shape.kind, d.attack.map((t) => t.id).join(' '), d.needs.categories.join(' '), d.title,
        ...(opts.verbose ? [d.description, d.remediation, d.falsePositives.join(' | '), d.needs.setting] : []),
      ]);
      writeText({ columns: columns.map((name) => ({ name, type: 'VARCHAR' })), rows }, opts.format);
    });
  cmd.command('test')
    .description('Run every detector\'s cases (events that must fire, events that must stay quiet); exit 1 if any fails.')
    .option('--only <id>', 'one detector, or a family (rbac, or rbac.)')
    .action(async (opts: { only?: string }) => {
      const { runCases } = await import('../detectors/run-cases.js');
      const matches = opts.only ? detectorMatcher(opts.only) : () => true;
      const list = (await catalogue()).filter((d) => matches(d.id));
      if (list.length === 0) throw new AuditlakeError('bad_argument', `--only ${opts.only}: no detector matches (see auditlake detectors list)`);
      let failed = 0;
      let total = 0;
      for (const d of list) {
        for (const r of runCases(d)) {
          total++;
          if (!r.passed) failed++;
          process.stdout.write(`${r.passed ? 'ok  ' : 'FAIL'}  ${d.id}: ${r.name}${r.passed ? '' : `\n      ${r.message}`}\n`);
        }
      }
      process.stdout.write(`\n${total - failed} of ${total} cases passed across ${list.length} detectors.\n`);
      if (failed > 0) process.exitCode = 1;
    });
  return cmd;
}
