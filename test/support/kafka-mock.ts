/**
 * Kafka test peer: librdkafka's mock cluster (Debian `librdkafka-dev`), driven by the small C
 * helper next to this file. Real Kafka protocol over loopback sockets (127.0.0.1 only), so the
 * real `kafkajs` client can be tested against it. No SASL; a few MB per partition.
 *
 * What the librdkafka 2.0.2 mock answers (ApiVersions): Produce 0-7, Fetch 0-11, ListOffsets 0-5,
 * Metadata 0-2, OffsetCommit 0-7, OffsetFetch 0-5, FindCoordinator 0-2, JoinGroup 0-5,
 * Heartbeat 0-3, LeaveGroup 0-1, SyncGroup 0-3, ApiVersions 0-2, InitProducerId 0-4 and the
 * transaction APIs. Nothing else: no CreateTopics (create topics through `options.topics`),
 * DeleteTopics, DescribeGroups, ListGroups, DescribeConfigs, ...
 *
 * Its timings, which set the pace of tests against it: the first JoinGroup of an empty group
 * waits 3 s (fixed in 2.0.2); a join soon after a member left, or while a killed member is
 * still in the group (until its session times out), waits up to sessionTimeout − 1 s; a Fetch that finds nothing is answered only after the request's
 * whole MaxWait (kafkajs: maxWaitTimeInMs, default 5 s), even if messages arrive meanwhile —
 * and the answers to every later request on that connection (a group member's offset commits
 * and heartbeats, with one broker) wait behind it, as does kafkajs's disconnect. A consumer of
 * your own can set maxWaitTimeInMs low; `auditlake run`'s Kafka source cannot yet.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KafkaMockOptions {
  /** topic name → partition count; created before the brokers are handed out */
  topics: Record<string, number>;
  /** number of mock brokers (default 1); replication factor is min(brokers, 3) */
  brokers?: number;
}

export interface KafkaMock {
  /** bootstrap servers, `127.0.0.1:port` each */
  brokers: string[];
  /** stops the mock cluster (idempotent) */
  close(): Promise<void>;
}

const source = join(dirname(fileURLToPath(import.meta.url)), 'kafka-mock.c');
const STARTUP_TIMEOUT_MS = 10_000;
let compiled: Promise<string> | undefined;

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr: String(stderr) }));
      else resolve();
    });
  });
}

async function compile(): Promise<string> {
  const cc = process.env.CC ?? 'gcc';
  const text = await readFile(source);
  const hash = createHash('sha256').update(text).update(cc).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'auditlake-kafka-mock');
  const bin = join(dir, `kafka-mock-${hash}`);
  try {
    await access(bin);
    return bin;
  } catch {
    // not built yet
  }
  await mkdir(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await run(cc, ['-O2', '-Wall', '-o', tmp, source, '-lrdkafka']);
  } catch (e) {
    await rm(tmp, { force: true });
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const detail = (err.stderr ?? err.message).trim();
    if (err.code === 'ENOENT') {
      throw new Error(`Kafka test peer: C compiler '${cc}' not found; install Debian packages gcc libc6-dev librdkafka-dev`);
    }
    if (/rdkafka(_mock)?\.h|-lrdkafka/.test(detail)) {
      throw new Error(`Kafka test peer: librdkafka headers/library missing; install the Debian package librdkafka-dev (apt-get install -y librdkafka-dev)\n${detail}`);
    }
    throw new Error(`Kafka test peer: compiling ${source} failed:\n${detail}`);
  }
  await rename(tmp, bin); // atomic: parallel test workers may race to build the same hash
  return bin;
}

/** Starts a librdkafka mock cluster on 127.0.0.1 with the given topics. */
export async function startKafkaMock(options: KafkaMockOptions): Promise<KafkaMock> {
  const brokerCount = options.brokers ?? 1;
  if (!Number.isInteger(brokerCount) || brokerCount < 1) throw new Error(`brokers must be a positive integer, got ${brokerCount}`);
  const topicArgs = Object.entries(options.topics).map(([name, partitions]) => {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(name)) throw new Error(`invalid Kafka topic name: ${JSON.stringify(name)}`);
    if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`topic ${name}: partitions must be a positive integer`);
    return `${name}:${partitions}`;
  });

  compiled ??= compile().catch((e: unknown) => {
    compiled = undefined; // let a later call retry (e.g. after installing the package)
    throw e;
  });
  const bin = await compiled;

  // stdin stays a pipe: the helper exits when it closes, so it dies with the test process.
  const child = spawn(bin, [String(brokerCount), ...topicArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 8192) stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin.on('error', () => {}); // EPIPE if the helper is already gone

  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  let line: string;
  try {
    line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`no bootstrap line within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
      const onData = (d: string): void => {
        out += d;
        const nl = out.indexOf('\n');
        if (nl >= 0) done(() => resolve(out.slice(0, nl).trim()));
      };
      const onExit = (code: number | null, signal: string | null): void =>
        fail(new Error(`exited (${signal ?? `code ${code}`}) before printing its brokers`));
      const onError = (e: Error): void => fail(e);
      function done(then: () => void): void {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
        then();
      }
      function fail(e: Error): void {
        done(() => reject(e));
      }
      child.stdout.setEncoding('utf8').on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
  } catch (e) {
    await kill();
    throw new Error(`Kafka mock cluster (${bin}): ${(e as Error).message}${stderr ? `\n${stderr.trim()}` : ''}`);
  }
  const brokers = line.split(',').filter((b) => b !== '');
  if (brokers.length !== brokerCount) {
    await kill();
    throw new Error(`Kafka mock cluster: unexpected bootstrap line ${JSON.stringify(line)}`);
  }
  child.stdout.resume(); // keep draining; nothing more is expected

  let closing: Promise<void> | undefined;
  return {
    brokers,
    close: () => (closing ??= kill()),
  };
}
