/**
 * Azurite (Azure Storage emulator, npm `azurite` 3.35) as a test peer: blob service only,
 * in-memory, on 127.0.0.1 with an OS-chosen port, no telemetry, no debug log, no access log,
 * and nothing written into the repository.
 *
 * Two ways to run it, same result:
 * - "in-process" (default): Azurite's own `BlobServer` class, constructed directly inside the test
 *   process. The first start in a process costs ~0.6 s (loading Azurite's modules); every start
 *   after that ~20 ms. Nothing can outlive the test process. Azurite does not export this as a
 *   public API (the package has no `exports` map or typings): we deep-require
 *   `azurite/dist/src/blob/*.js` and check after construction that the positional configuration
 *   landed where we meant it to, so an Azurite upgrade that reorders it fails loudly.
 * - "child-process": the `azurite-blob` CLI (`dist/src/blob/main.js`) with
 *   `--inMemoryPersistence --disableTelemetry --loose --skipApiVersionCheck --silent
 *   --blobHost 127.0.0.1 --blobPort 0`, cwd in a fresh temp dir, readiness from its
 *   "successfully listens on http://127.0.0.1:PORT" line (15 s timeout). ~0.9 s per start. It is
 *   stopped on close() (IPC disconnect, SIGKILL after 3 s), SIGKILLed when the test process exits
 *   normally, and exits by itself when the test process dies abruptly (a preloaded watchdog
 *   exits on IPC disconnect). Use it when the server should not share the test's event loop
 *   (throughput measurements) or if the in-process construction check trips after an upgrade.
 *
 * Note: Azurite refuses `--location` together with `--inMemoryPersistence`; in-memory it writes
 * no files at all (checked), but both modes still point every path at a private temp dir that
 * close() removes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AzuriteInstance {
  /** e.g. http://127.0.0.1:PORT/devstoreaccount1 */
  blobUrl: string;
  /** Well-known devstoreaccount1 key, `BlobEndpoint=<blobUrl>;`. */
  connectionString: string;
  /** Stops the server and removes its temp dir. Idempotent. */
  close(): Promise<void>;
}

export interface StartAzuriteOptions {
  /** Default "in-process". */
  mode?: 'in-process' | 'child-process';
  /** Child-process readiness timeout. Default 15 000 ms. */
  timeoutMs?: number;
}

export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const require = createRequire(import.meta.url);

function endpoints(port: number): Pick<AzuriteInstance, 'blobUrl' | 'connectionString'> {
  const blobUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  return {
    blobUrl,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};` +
      `AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobUrl};`,
  };
}

function portOf(address: string): number {
  const m = /:(\d+)\/?$/.exec(address.trim());
  const port = m?.[1] === undefined ? NaN : Number(m[1]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`azurite: cannot parse port from ${JSON.stringify(address)}`);
  return port;
}

export async function startAzurite(options: StartAzuriteOptions = {}): Promise<AzuriteInstance> {
  return options.mode === 'child-process'
    ? startChildProcess(options.timeoutMs ?? 15_000)
    : startInProcess();
}

// ---------------------------------------------------------------------------------------------
// in-process

/** The parts of Azurite's (untyped, internal) blob modules we use. */
interface AzuriteBlobServer {
  start(): Promise<void>;
  close(): Promise<void>;
  clean(): Promise<void>;
  getHttpServerAddress(): string;
}
interface AzuriteBlobConfiguration {
  host: string;
  port: number;
  loose: boolean;
  skipApiVersionCheck: boolean;
  enableAccessLog: boolean;
  enableDebugLog: boolean;
  isMemoryPersistence: boolean;
  metadataDBPath: string;
  memoryStore: unknown;
}
interface AzuriteModules {
  BlobServer: new (config: AzuriteBlobConfiguration) => AzuriteBlobServer;
  BlobConfiguration: new (...args: unknown[]) => AzuriteBlobConfiguration;
  MemoryExtentChunkStore: new (sizeLimit?: number) => unknown;
  defaultExtentMemoryLimit: number | undefined;
}

let modules: AzuriteModules | undefined;
function loadAzurite(): AzuriteModules {
  if (modules) return modules;
  const base = 'azurite/dist/src';
  const blobServer = require(`${base}/blob/BlobServer.js`) as { default: AzuriteModules['BlobServer'] };
  const blobConfiguration = require(`${base}/blob/BlobConfiguration.js`) as {
    default: AzuriteModules['BlobConfiguration'];
  };
  const memoryStore = require(`${base}/common/persistence/MemoryExtentStore.js`) as {
    MemoryExtentChunkStore: AzuriteModules['MemoryExtentChunkStore'];
    DEFAULT_EXTENT_MEMORY_LIMIT?: number;
  };
  if (
    typeof blobServer.default !== 'function' ||
    typeof blobConfiguration.default !== 'function' ||
    typeof memoryStore.MemoryExtentChunkStore !== 'function'
  ) {
    throw new Error("azurite: internal blob modules changed shape; use startAzurite({ mode: 'child-process' })");
  }
  modules = {
    BlobServer: blobServer.default,
    BlobConfiguration: blobConfiguration.default,
    MemoryExtentChunkStore: memoryStore.MemoryExtentChunkStore,
    defaultExtentMemoryLimit: memoryStore.DEFAULT_EXTENT_MEMORY_LIMIT,
  };
  return modules;
}

async function startInProcess(): Promise<AzuriteInstance> {
  const { BlobServer, BlobConfiguration, MemoryExtentChunkStore, defaultExtentMemoryLimit } = loadAzurite();
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-azurite-'));
  // A chunk store of our own (Azurite's default is one process-wide singleton), so that
  // instances don't share memory accounting and close() frees what this instance held.
  const memoryStore = new MemoryExtentChunkStore(defaultExtentMemoryLimit);
  const metadataDBPath = join(dir, '__azurite_db_blob__.json');
  // BlobConfiguration(host, port, keepAliveTimeout, metadataDBPath, extentDBPath,
  //   persistencePathArray, enableAccessLog, accessLogWriteStream, enableDebugLog,
  //   debugLogFilePath, loose, skipApiVersionCheck, cert, key, pwd, oauth,
  //   disableProductStyleUrl, isMemoryPersistence, memoryStore)   -- azurite 3.35
  const config = new BlobConfiguration(
    '127.0.0.1',
    0,
    undefined,
    metadataDBPath,
    join(dir, '__azurite_db_blob_extent__.json'),
    [{ locationId: 'Default', locationPath: join(dir, '__blobstorage__'), maxConcurrency: 1 }],
    false,
    undefined,
    false,
    undefined,
    true,
    true,
    '',
    '',
    '',
    undefined,
    false,
    true,
    memoryStore,
  );
  const landed =
    config.host === '127.0.0.1' &&
    config.port === 0 &&
    config.metadataDBPath === metadataDBPath &&
    config.enableAccessLog === false &&
    config.enableDebugLog === false &&
    config.loose === true &&
    config.skipApiVersionCheck === true &&
    config.isMemoryPersistence === true &&
    config.memoryStore === memoryStore;
  if (!landed) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      "azurite: BlobConfiguration's constructor changed (not a public API); use startAzurite({ mode: 'child-process' })",
    );
  }
  const server = new BlobServer(config);
  try {
    await server.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const port = portOf(server.getHttpServerAddress());
  let closing: Promise<void> | undefined;
  return {
    ...endpoints(port),
    close() {
      closing ??= (async () => {
        try {
          await server.close();
          await server.clean();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      })();
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// child process

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a SIGKILL is all we can do here.
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

/** Preloaded into the child: exit when the parent's IPC channel goes away (parent died). */
const WATCHDOG = 'data:text/javascript,process.on("disconnect",()=>process.exit(0))';

async function startChildProcess(timeoutMs: number): Promise<AzuriteInstance> {
  const main = require.resolve('azurite/dist/src/blob/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'auditlake-azurite-'));
  const env = { ...process.env };
  delete env.AZURITE_DB; // would switch Azurite to SQL metadata storage
  const child = spawn(
    process.execPath,
    [
      '--import',
      WATCHDOG,
      main,
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--loose',
      '--skipApiVersionCheck',
      '--silent',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
    ],
    { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  installExitHook();
  liveChildren.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      liveChildren.delete(child);
      resolve();
    });
  });
  // The IPC channel must not keep the test process alive.
  child.channel?.unref();

  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const fail = (why: string): void => {
      cleanup();
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      reject(new Error(`azurite: ${why}\n--- output ---\n${output.slice(-4000)}`));
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const m = /successfully listens on (\S+)/.exec(output);
      if (m?.[1] !== undefined) {
        cleanup();
        try {
          resolve(portOf(m[1]));
        } catch (err) {
          fail((err as Error).message);
        }
      }
    };
    const onStderr = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`exited before listening (code ${code}, signal ${signal})`);
    const onError = (err: Error): void => fail(`spawn failed: ${err.message}`);
    const timer = setTimeout(() => fail(`not listening after ${timeoutMs} ms`), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onStderr);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onStderr);
    child.once('exit', onExit);
    child.once('error', onError);
  });
  // Keep draining the pipes so the child can never block on a full pipe; don't hold the loop open.
  child.stdout?.resume();
  child.stderr?.resume();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  child.unref();

  let closing: Promise<void> | undefined;
  return {
    ...endpoints(port),
    close() {
      closing ??= (async () => {
        try {
          if (child.exitCode === null && child.signalCode === null) {
            child.ref(); // keep the loop alive until it has gone
            // Dropping the IPC channel makes the watchdog exit(0) at once. (SIGTERM alone closes
            // the server but the process lingers: Azurite's 'message' listener keeps the IPC
            // channel, and with it the process, alive.) In-memory: nothing to flush.
            if (child.connected) child.disconnect();
            else child.kill('SIGTERM');
            const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
            await exited;
            clearTimeout(timer);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      })();
      return closing;
    },
  };
}
