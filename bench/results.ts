/** Keeps bench/RESULTS.md: one section per benchmark, replaced on each run, stamped with machine and date. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';
import { machine } from './measure.js';

const FILE = join(packageRoot, 'bench', 'RESULTS.md');

export function writeResults(name: string, lines: string[]): void {
  const header = '# Benchmark results\n\nEach section is rewritten by its benchmark (`npm run bench:<name>`).\n';
  const current = existsSync(FILE) ? readFileSync(FILE, 'utf8') : header;
  const section = [`## ${name}`, '', `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}.`, '', ...lines, ''].join('\n');
  const pattern = new RegExp(`## ${escapeRegExp(name)}\\n[\\s\\S]*?(?=\\n## |$)`);
  // A new section goes before the notes kept by hand, which stay last.
  const notes = current.indexOf('\n## notes');
  const next = pattern.test(current) ? current.replace(pattern, () => section)
    : notes >= 0 ? `${current.slice(0, notes).trimEnd()}\n\n${section}\n${current.slice(notes)}`
    : `${current.trimEnd()}\n\n${section}`;
  writeFileSync(FILE, `${next.trimEnd()}\n`);
}

/** Section names may hold ( ) and the like. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
