/**
 * Streaming UTF-8 decoding that says where the input was not UTF-8, instead of quietly
 * turning it into U+FFFD as StringDecoder does: a `.json` file's record holding such bytes
 * must be refused (as an NDJSON line is), not stored altered. A leading byte-order mark is
 * dropped (editors on Windows write one; JSON.parse refuses it).
 *
 * Valid chunks (nearly all) cost one native `isUtf8` check; only a chunk that fails it is
 * walked byte by byte.
 */
import { isUtf8 } from 'node:buffer';

export interface InvalidByte {
  /** Offset of the U+FFFD standing for it in all the text returned so far. */
  char: number;
  /** Offset of the byte in the input. */
  byte: number;
}

export interface DecodedPiece {
  text: string;
  invalid: InvalidByte[];
}

const BOM = [0xef, 0xbb, 0xbf];

export class Utf8Stream {
  private carry: Buffer | null = null;
  /** Input bytes before `carry`. */
  private bytes = 0;
  /** Characters returned so far. */
  private chars = 0;
  private atStart = true;

  write(chunk: Buffer): DecodedPiece {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    let from = 0;
    if (this.atStart) {
      if (buf.length < BOM.length && BOM.slice(0, buf.length).every((b, i) => buf[i] === b)) {
        this.carry = Buffer.from(buf); // too short to tell yet
        return { text: '', invalid: [] };
      }
      this.atStart = false;
      if (buf[0] === BOM[0] && buf[1] === BOM[1] && buf[2] === BOM[2]) from = 3;
    }
    // Keep an incomplete sequence at the end for the next chunk.
    const cut = completePrefix(buf);
    if (cut < buf.length) this.carry = Buffer.from(buf.subarray(cut));
    return this.decode(buf, from, cut);
  }

  /** The rest: an incomplete sequence at the end of the input is invalid too. */
  end(): DecodedPiece {
    const buf = this.carry;
    this.carry = null;
    if (!buf) return { text: '', invalid: [] };
    const from = this.atStart && buf.length >= 3 && buf[0] === BOM[0] && buf[1] === BOM[1] && buf[2] === BOM[2] ? 3 : 0;
    this.atStart = false;
    return this.decode(buf, from, buf.length);
  }

  private decode(buf: Buffer, from: number, to: number): DecodedPiece {
    const byteBase = this.bytes;
    this.bytes += to;
    const piece = buf.subarray(from, to);
    if (isUtf8(piece)) {
      const text = piece.toString('utf8');
      this.chars += text.length;
      return { text, invalid: [] };
    }
    let text = '';
    const invalid: InvalidByte[] = [];
    let run = from;
    let i = from;
    while (i < to) {
      const len = sequenceLength(buf, i, to);
      if (len > 0) { i += len; continue; }
      text += buf.toString('utf8', run, i);
      invalid.push({ char: this.chars + text.length, byte: byteBase + i });
      text += '\uFFFD';
      i += 1;
      run = i;
    }
    text += buf.toString('utf8', run, to);
    this.chars += text.length;
    return { text, invalid };
  }
}

/** Length of the bytes of `buf` that end on a character boundary (up to 3 bytes of a started sequence are left out). */
function completePrefix(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = buf[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 1;
    return back < need ? n - back : n;
  }
  return n;
}

/** Length of the valid UTF-8 sequence at `i` (1–4), or 0 when the byte there does not start one. */
function sequenceLength(b: Buffer, i: number, end: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < end && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const ok1 = c === 0xe0 ? cont(1, 0xa0) : c === 0xed ? cont(1, 0x80, 0x9f) : cont(1);
    return ok1 && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const ok1 = c === 0xf0 ? cont(1, 0x90) : c === 0xf4 ? cont(1, 0x80, 0x8f) : cont(1);
    return ok1 && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}
