/**
 * Files as a source (`auditlake replay`): `.json` (one Event Hubs body, an array, or one
 * record), `.ndjson`/`.jsonl` (a body or record per line), any of them `.gz`; folders are
 * walked in name order. Everything streams: memory holds one batch and one line or record.
 */
import { createReadStream, readdirSync, statSync, type ReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { basename, join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { JsonRecordSplitter } from '../decode/json-splitter.js';
import type { Unit } from '../decode/unit.js';
import { AuditlakeError, errorMessage } from '../errors.js';
import type { RejectRow } from '../schema/event.js';
import type { SourceBatch } from './source.js';

const SUPPORTED = /\.(json|ndjson|jsonl)(\.gz)?$/i;

export interface FileSourceOptions {
  /** A batch closes at this many units or bytes, whichever comes first. */
  batchUnits: number;
  batchBytes: number;
  /** A line longer than this is refused without being held in memory. */
  maxLineBytes: number;
}

// Small batches keep a decode worker's garbage young (cheap to collect); the pipeline commits several at once.
export const DEFAULT_FILE_OPTIONS: FileSourceOptions = { batchUnits: 2000, batchBytes: 2 << 20, maxLineBytes: 64 << 20 };

/** Expands files and folders to the supported files, in name order. Unknown paths are an error. */
export function listInputFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new AuditlakeError('not_found', `input ${p}: no such file or folder`);
    }
    if (st.isDirectory()) out.push(...walk(p));
    else if (SUPPORTED.test(p)) out.push(resolve(p));
    else throw new AuditlakeError('bad_input', `input ${p}: expected a .json, .ndjson or .jsonl file (optionally .gz)`);
  }
  return out;
}

function walk(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (SUPPORTED.test(e.name)) out.push(resolve(p));
  }
  return out;
}

export async function* readFiles(paths: string[], options: FileSourceOptions = DEFAULT_FILE_OPTIONS): AsyncGenerator<SourceBatch> {
  const files = listInputFiles(paths);
  const bytesTotal = files.reduce((n, f) => n + statSync(f).size, 0);
  let bytesDone = 0;
  for (const file of files) {
    const size = statSync(file).size;
    for await (const batch of readFile(file, options)) {
      if (batch.progress) batch.progress = { ...batch.progress, bytesRead: bytesDone + batch.progress.bytesRead, bytesTotal };
      yield batch;
    }
    bytesDone += size;
  }
}

/** A batch being filled for one file. */
class Batcher {
  units: Unit[] = [];
  rejects: RejectRow[] = [];
  private bytes = 0;
  constructor(readonly source: string, private readonly options: FileSourceOptions) {}

  add(text: string, line: number): void {
    this.units.push({ text, source: this.source, where: `line ${line}` });
    this.bytes += text.length;
  }

  refuse(line: number | null, reason: string, raw: string): void {
    this.rejects.push({ received_at: Date.now(), source: this.source, reason: line === null ? reason : `line ${line}: ${reason}`, raw });
  }

  get full(): boolean {
    return this.units.length >= this.options.batchUnits || this.bytes >= this.options.batchBytes;
  }

  take(line: number, bytesRead: number, file: string): SourceBatch {
    const batch: SourceBatch = {
      units: this.units,
      rejects: this.rejects,
      checkpoints: [{ source: this.source, partition: '0', position: `line:${line}` }],
      progress: { bytesRead, bytesTotal: 0, file },
    };
    this.units = [];
    this.rejects = [];
    this.bytes = 0;
    return batch;
  }
}

function open(file: string): { stream: Readable; raw: ReadStream } {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  return { raw, stream: file.toLowerCase().endsWith('.gz') ? raw.pipe(createGunzip()) : raw };
}

async function* readFile(file: string, options: FileSourceOptions): AsyncGenerator<SourceBatch> {
  const isNdjson = /\.(ndjson|jsonl)(\.gz)?$/i.test(file);
  yield* isNdjson ? readNdjson(file, options) : readJson(file, options);
}

async function* readNdjson(file: string, options: FileSourceOptions): AsyncGenerator<SourceBatch> {
  const batch = new Batcher(`file:${file}`, options);
  const { stream, raw } = open(file);
  let carry: Buffer | null = null;
  let line = 0;
  let skippingLongLine = false;
  const takeLine = (bytes: Buffer) => {
    line++;
    if (skippingLongLine) { skippingLongLine = false; return; }
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 13) end--; // CRLF
    const body = bytes.subarray(0, end);
    if (body.length === 0 || isBlank(body)) return;
    if (!isUtf8(body)) batch.refuse(line, 'not valid UTF-8', body.toString('utf8'));
    else batch.add(body.toString('utf8'), line);
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = null;
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
        takeLine(buf.subarray(start, nl));
        start = nl + 1;
      }
      if (start < buf.length) {
        carry = buf.subarray(start);
        if (carry.length > options.maxLineBytes && !skippingLongLine) {
          // Refuse it now rather than hold an unbounded line; drop bytes until its newline.
          batch.refuse(line + 1, `line longer than ${options.maxLineBytes} bytes; skipped`, carry.subarray(0, 1024).toString('utf8'));
          skippingLongLine = true;
          carry = null;
        } else if (skippingLongLine) carry = null;
      }
      if (batch.full) yield batch.take(line, raw.bytesRead, file);
    }
    if (carry) takeLine(carry);
  } catch (err) {
    if (carry && !skippingLongLine) takeLine(carry);
    batch.refuse(null, `${readFailure(file, err)} after line ${line}; the lines before it were read`, '');
  }
  yield batch.take(line, raw.bytesRead, file);
}

async function* readJson(file: string, options: FileSourceOptions): AsyncGenerator<SourceBatch> {
  const batch = new Batcher(`file:${file}`, options);
  const { stream, raw } = open(file);
  const splitter = new JsonRecordSplitter();
  const decoder = new StringDecoder('utf8');
  let lastLine = 0;
  const take = (elements: { text: string; line: number }[]) => {
    for (const e of elements) { batch.add(e.text, e.line); lastLine = e.line; }
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      take(splitter.feed(decoder.write(chunk)));
      if (batch.full) yield batch.take(lastLine, raw.bytesRead, file);
    }
    take(splitter.feed(decoder.end()));
    take(splitter.end());
  } catch (err) {
    const reason = err instanceof SyntaxError ? `invalid JSON: ${err.message}` : readFailure(file, err);
    batch.refuse(null, `${reason}; the records before it were read`, '');
  }
  yield batch.take(lastLine, raw.bytesRead, file);
}

function readFailure(file: string, err: unknown): string {
  const msg = errorMessage(err);
  if (/unexpected end of file|incorrect header check|invalid (block|distance|stored)/i.test(msg)) return `truncated or corrupt gzip (${msg}) in ${basename(file)}`;
  return `read error (${msg}) in ${basename(file)}`;
}

function isBlank(b: Buffer): boolean {
  for (const c of b) if (c !== 32 && c !== 9 && c !== 13) return false;
  return true;
}
