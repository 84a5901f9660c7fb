/**
 * `auditlake serve` as a subprocess, as an operator starts it: resolves once it prints the
 * console URL (rejects if it exits first), with what it said on stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { repoRoot } from './cli.js';

export interface Served { child: ChildProcess; url: string; stderr: () => string; exited: Promise<number | null> }

/** `args` after `serve`, e.g. `['--db', path, '--port', '0']`. */
export async function startServe(args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [resolve(repoRoot, 'bin/auditlake.js'), 'serve', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = await new Promise<string>((res, rej) => {
    child.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString();
      const m = /Console: (http:\/\/\S+?)\/\s/.exec(stderr);
      if (m) res(m[1]!);
    });
    void exited.then((code) => rej(new Error(`serve exited ${code}:\n${stderr}`)));
  });
  return { child, url, stderr: () => stderr, exited };
}

/** `use` with a `serve` started with `args`, stopped after, whatever `use` does. */
export async function withServe<T>(args: string[], use: (served: Served) => Promise<T>): Promise<T> {
  const served = await startServe(args);
  try {
    return await use(served);
  } finally {
    served.child.kill('SIGTERM');
    await served.exited;
  }
}
