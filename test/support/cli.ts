/** Runs the real CLI (`bin/auditlake.js`, built `dist/`) as a subprocess from the repository root. */
import { spawn, spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  /** milliseconds before the child is killed; the result then has code -1 and says so in stderr */
  timeoutMs?: number;
}

export function runCli(args: string[], { env, input, timeoutMs = 90_000 }: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [resolve(repoRoot, 'bin/auditlake.js'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...env },
    input,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const problem = r.error ? `\n[runCli] ${r.error.message}` : r.signal ? `\n[runCli] killed by ${r.signal}` : '';
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${problem}` };
}

/**
 * runCli without blocking the event loop, so independent invocations can overlap (each one
 * spends most of its ~1 s loading Node modules and DuckDB's native library).
 */
export function runCliAsync(args: string[], { env, input, timeoutMs = 90_000 }: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [resolve(repoRoot, 'bin/auditlake.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let problem = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      problem = `\n[runCli] timed out after ${timeoutMs} ms`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => { problem = `\n[runCli] ${e.message}`; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal && !problem) problem = `\n[runCli] killed by ${signal}`;
      resolvePromise({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: `${Buffer.concat(err).toString('utf8')}${problem}` });
    });
    child.stdin.end(input ?? '');
  });
}

/** Like runCli, but throws with the command and its stderr unless it exited 0. */
export function runCliOk(args: string[], options?: CliOptions): CliResult {
  const r = runCli(args, options);
  if (r.code !== 0) throw new Error(`auditlake ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return r;
}
