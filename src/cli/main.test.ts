/** The assembled CLI: every command's help lays out cleanly on any width. */
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { program } from './main.js';

function* allCommands(command: Command): Generator<Command> {
  yield command;
  for (const sub of command.commands) yield* allCommands(sub);
}

describe('auditlake --help', () => {
  it('no description holds a hard line break (commander wraps descriptions itself: a break makes ragged lines)', async () => {
    const root = await program();
    const broken = [...allCommands(root)]
      .filter((c) => c.description().includes('\n'))
      .map((c) => c.name());
    expect(broken).toEqual([]);
  });
});
