/**
 * Files as a source (`auditlake replay`): `.json` (one Event Hubs body, an array, or one
 * record), `.ndjson`/`.jsonl` (a body or record per line), any of them `.gz`; folders are
 * walked in name order. Everything streams: memory holds one batch and one line or record.
 */
import { createReadStream, readdirSync, statSync, type ReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { basename, join, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { JsonRecordSplitter, type SplitElement } from '../decode/json-splitter.js';
import type { Unit } from '../decode/unit.js';
import { Utf8Stream, type InvalidByte } from '../decode/utf8.js';
import { AuditlakeError, errorMessage } from '../errors.js';
import type { RejectRow } from '../schema/event.js';
import { redactSecrets } from '../schema/redact.js';
import { rejectRow } from '../schema/reject.js';
import { replayOrder } from './archive-order.js';
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

/**
 * Expands files and folders to the supported files, in the order replay reads them: files of
 * Azure's archive layout hour by hour, the others first in name order (see archive-order.ts).
 * Unknown paths are an error.
 */
export function listInputFiles(paths: string[]): string[] {
  return replayOrder(listed(paths));
}

function listed(paths: string[]): string[] {
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

  add(text: string, where: string): void {
    this.units.push({ text, source: this.source, where });
    this.bytes += text.length;
  }

  /** Refused text is kept as received but for secrets, as is a reason that may quote it. */
  refuse(where: string | null, reason: string, raw: string): void {
    this.rejects.push(rejectRow(this.source, where === null ? reason : `${where}: ${reason}`, redactSecrets(raw)));
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
    // A byte-order mark (Windows editors write one) would make the first line invalid JSON.
    const start = line === 1 && end >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    const body = bytes.subarray(start, end);
    if (body.length === 0 || isBlank(body)) return;
    if (!isUtf8(body)) batch.refuse(`line ${line}`, 'not valid UTF-8', body.toString('utf8'));
    else batch.add(body.toString('utf8'), `line ${line}`);
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
          // Refuse it now rather than hold an unbounded line; drop bytes until its newline. Its
          // start is kept, redacted before it is cut so a secret across the cut is still seen whole.
          batch.refuse(`line ${line + 1}`, `line longer than ${options.maxLineBytes} bytes; skipped`, redactSecrets(carry.subarray(0, 16 << 10).toString('utf8')).slice(0, 1024));
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
  const utf8 = new Utf8Stream();
  /** Where the text had invalid UTF-8, not yet matched to a record. */
  let invalid: InvalidByte[] = [];
  let lastLine = 0;
  /** Elements that started on lastLine so far: a one-line body holds all its records on line 1. */
  let onLine = 0;
  const take = (elements: SplitElement[]) => {
    for (const e of elements) {
      onLine = e.line === lastLine ? onLine + 1 : 1;
      lastLine = e.line;
      // Each record's own place, so that two records refused for the same reason are two rejects.
      const where = onLine === 1 ? `line ${e.line}` : `line ${e.line} record ${onLine}`;
      // Invalid bytes before this element sat outside any record (in a body's other keys): still said.
      while (invalid.length > 0 && invalid[0]!.char < e.start) {
        batch.refuse(null, `not valid UTF-8 at byte position ${invalid.shift()!.byte}, outside any record; the records around it were read`, '');
      }
      const inside = invalid.length > 0 && invalid[0]!.char < e.end ? invalid[0]! : null;
      while (invalid.length > 0 && invalid[0]!.char < e.end) invalid.shift();
      if (e.error !== undefined) batch.refuse(null, `invalid JSON: ${e.error}`, e.text);
      else if (inside) batch.refuse(where, `not valid UTF-8 at byte position ${inside.byte}`, e.text);
      else batch.add(e.text, where);
    }
  };
  const feed = (piece: { text: string; invalid: InvalidByte[] }) => {
    if (piece.invalid.length > 0) invalid = invalid.concat(piece.invalid);
    take(splitter.feed(piece.text));
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      feed(utf8.write(chunk));
      if (batch.full) yield batch.take(lastLine, raw.bytesRead, file);
    }
    feed(utf8.end());
    take(splitter.end());
  } catch (err) {
    const reason = err instanceof SyntaxError ? `invalid JSON: ${err.message}` : readFailure(file, err);
    batch.refuse(null, `${reason}; the records before it were read`, '');
  }
  for (const bad of invalid) batch.refuse(null, `not valid UTF-8 at byte position ${bad.byte}, outside any record`, '');
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
