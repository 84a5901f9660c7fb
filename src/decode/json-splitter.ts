/**
 * Finds the records in JSON text without building objects: the elements of a top-level array,
 * the elements of an Event Hubs body's `"records"` array, or a single top-level object. The
 * text may hold several top-level values one after another, each read the same way: Azure's
 * storage archives (`insights-logs-<category>/…/PT1H.json`) are JSON Lines under a `.json` name.
 * It is incremental (feed chunks, get element texts as they complete), so a 2 GB `.json`
 * file streams through with one record in memory at a time, and each record keeps the text it
 * arrived as (no re-serialization for `raw`, no second parse for the hash).
 *
 * Strings are skipped with `indexOf`, which is where nearly all of an audit record's bytes are.
 */
import { printable } from '../schema/printable.js';

export interface SplitElement {
  text: string;
  /** True when the element had whitespace outside strings (pretty-printed): its text is not canonical. */
  spaced: boolean;
  /** How deeply its objects and arrays nest (a flat record is 1, a scalar 0): read before anything recurses into it. */
  depth: number;
  /** 1-based line where the element starts, counted in the text fed so far. */
  line: number;
  /** Character offsets of the element in all the text fed (end exclusive), to match positions found elsewhere (invalid UTF-8). */
  start: number;
  end: number;
  /**
   * Set when this is not a record but text between top-level values that is not JSON (a stray
   * line): `text` is the start of it, up to the end of its line. The values after it are read.
   */
  error?: string;
}

const QUOTE = 34, BACKSLASH = 92, LBRACE = 123, RBRACE = 125, LBRACKET = 91, RBRACKET = 93;
const SPACE = 32, TAB = 9, LF = 10, CR = 13, COLON = 58, COMMA = 44;

type Mode =
  | 'start'          // before a top-level value (the first, or the next after one closed)
  | 'garbage'        // skipping text that cannot start a value, up to the end of its line
  | 'top-array'      // inside a top-level [ ... ]: elements are records
  | 'top-object'     // inside a top-level { ... } not (yet) known to be an envelope
  | 'records-array'  // inside the envelope's "records": [ ... ]
  | 'after-records'; // inside the envelope, after its records array

/** How much of a stray line is kept for its reject: enough to recognise it, bounded whatever its length. */
const GARBAGE_KEEP = 4096;

export class JsonRecordSplitter {
  private buf = '';
  private pos = 0;
  private mode: Mode = 'start';
  private line = 1;
  /** Where the element being captured starts in `buf`, or -1. */
  private elemStart = -1;
  private elemLine = 1;
  /** Nesting inside the top-level object (envelope or single record). */
  private depth = 0;
  /** Nesting inside the element being captured. */
  private elemDepth = 0;
  private elemMaxDepth = 0;
  private spaced = false;
  private inString = false;
  /** Top-level object: the key just read at depth 1, to spot `"records"`. */
  private lastKey: string | null = null;
  /** Line where the current top-level value starts. */
  private valueLine = 1;
  private sawRecordsKey = false;
  private topStart = -1;
  private topSpaced = false;
  private topMaxDepth = 0;
  /** Characters dropped from the front of `buf` so far: `buf[i]` is character `base + i` of the input. */
  private base = 0;
  /** Top-level values begun (records, bodies, arrays) and stray lines met: none at the end means empty input. */
  private values = 0;
  private garbageText = '';
  private garbageStart = 0;
  private garbageLine = 0;
  /** The SyntaxError a feed met after returning the elements before it: thrown by the next call. */
  private failure: Error | null = null;
  /**
   * Set once a top-level object began and ended on one line: the text is JSON Lines (Azure's
   * PT1H.json archives). Then a compact object still open at the end of its first line is a
   * record cut short (a partial write, files joined with `cat`): that line is refused and
   * reading goes on at the next, where otherwise the object would swallow the rest of the file.
   */
  private lineMode = false;
  /** In line mode, where the current line ends (an offset in `buf`), or -1 when not known yet. */
  private lineEnd = -1;

  /** True once a `"records": [...]` array was seen: the input is an Event Hubs body. */
  get isEnvelope(): boolean { return this.sawRecordsKey; }

  /**
   * The elements completed by `chunk`. Text that is not JSON (an unexpected '}') throws a
   * SyntaxError naming its line, but not before the elements found ahead of it are returned:
   * then this call returns them and the next call (feed or end) throws. A chunk is up to a
   * MiB of a file: its records before the error are read, as the file's reject then says.
   */
  feed(chunk: string): SplitElement[] {
    if (this.failure) throw this.failure;
    this.buf += chunk;
    const out: SplitElement[] = [];
    try {
      this.scan(out);
    } catch (err) {
      if (out.length === 0) throw err;
      this.failure = err as Error;
      return out;
    }
    this.compact();
    return out;
  }

  /**
   * Ends the input. Throws a SyntaxError naming what is missing when the text is incomplete
   * (an unclosed value: the records after its start line were not read) or holds nothing,
   * or the error a feed found after its elements.
   */
  end(): SplitElement[] {
    if (this.failure) throw this.failure;
    const out: SplitElement[] = [];
    this.scan(out);
    if (this.mode === 'garbage') this.emitGarbage(out, this.base + this.buf.length);
    if (this.mode === 'start') {
      if (this.values === 0) throw new SyntaxError('empty input: expected a JSON object or array');
      return out;
    }
    throw new SyntaxError(`unexpected end of JSON input at line ${this.line} (unclosed ${this.describeOpen()} that starts at line ${this.elemStart >= 0 ? this.elemLine : this.valueLine})`);
  }

  private describeOpen(): string {
    if (this.mode === 'records-array' || this.mode === 'top-array') return this.elemStart >= 0 ? 'record' : 'array';
    return 'object';
  }

  /** Drops consumed text so memory holds at most the element being captured. */
  private compact(): void {
    const keepFrom = this.elemStart >= 0 ? this.elemStart : this.topStart >= 0 && this.mode === 'top-object' ? this.topStart : this.pos;
    if (keepFrom > 1 << 16) {
      this.buf = this.buf.slice(keepFrom);
      this.base += keepFrom;
      this.pos -= keepFrom;
      if (this.elemStart >= 0) this.elemStart -= keepFrom;
      if (this.topStart >= 0) this.topStart -= keepFrom;
      if (this.lineEnd >= 0) this.lineEnd -= keepFrom;
    }
  }

  private scan(out: SplitElement[]): void {
    const s = this.buf;
    const n = s.length;
    let i = this.pos;
    while (i < n) {
      if (this.mode === 'garbage') {
        const nl = s.indexOf('\n', i);
        const stop = nl < 0 ? n : nl;
        if (this.garbageText.length < GARBAGE_KEEP) this.garbageText += s.slice(i, Math.min(stop, i + GARBAGE_KEEP - this.garbageText.length));
        if (nl < 0) { i = n; break; }
        this.emitGarbage(out, this.base + nl);
        i = nl; // the newline itself is counted below
        continue;
      }
      if (this.inString) {
        const q = findStringEnd(s, i);
        if (q < 0) { i = resumePoint(s, i); break; }
        i = q + 1;
        this.inString = false;
        continue;
      }
      const c = s.charCodeAt(i);
      if (c === SPACE || c === TAB || c === CR || c === LF) {
        if (c === LF && this.cutShort(i)) { this.emitCutShort(out, i); continue; }
        if (c === LF) this.line++;
        if (this.elemStart >= 0) this.spaced = true;
        if (this.mode === 'top-object' && this.depth > 0) this.topSpaced = true;
        i++;
        continue;
      }
      switch (this.mode) {
        case 'start':
          this.values++;
          this.valueLine = this.line;
          if (c === LBRACKET) { this.mode = 'top-array'; i++; }
          else if (c === LBRACE) { this.mode = 'top-object'; this.topStart = i; this.topSpaced = false; this.depth = 1; this.topMaxDepth = 1; this.elemLine = this.line; i++; }
          else {
            // Not a value: report this line and go on with the next (JSON Lines with a stray line).
            this.mode = 'garbage'; this.garbageStart = this.base + i; this.garbageLine = this.line; this.garbageText = '';
          }
          continue;
        case 'top-array':
        case 'records-array': {
          if (this.elemStart < 0) {
            if (c === COMMA) { i++; continue; }
            if (c === RBRACKET) {
              this.mode = this.mode === 'top-array' ? 'start' : 'after-records';
              i++;
              continue;
            }
            this.elemStart = i; this.elemLine = this.line; this.spaced = false; this.elemDepth = 0; this.elemMaxDepth = 0;
          }
          if (c === QUOTE) { this.inString = true; i++; continue; }
          if (c === LBRACE || c === LBRACKET) {
            if (++this.elemDepth > this.elemMaxDepth) this.elemMaxDepth = this.elemDepth;
            i++;
            continue;
          }
          if (c === RBRACE || c === RBRACKET) {
            if (this.elemDepth === 0) {
              // A string element (`[..., "x"]`) ends at the array's end, as other scalars do: emitted, so its
              // record check refuses it by name; the ']' is read next, as the end of the array.
              if (c === RBRACKET) { this.emit(out, i); continue; }
              throw new SyntaxError(`line ${this.line}: unexpected '${s[i]}'`);
            }
            this.elemDepth--;
            i++;
            if (this.elemDepth === 0) this.emit(out, i);
            continue;
          }
          // A scalar element ends at , or ]: still emitted, so the record check can reject it by name.
          if (this.elemDepth === 0) {
            let j = i;
            while (j < n && s.charCodeAt(j) !== COMMA && s.charCodeAt(j) !== RBRACKET) j++;
            if (j === n) { i = n; break; }
            this.emit(out, j);
            i = j;
            continue;
          }
          i++;
          continue;
        }
        case 'top-object':
        case 'after-records': {
          if (c === QUOTE) {
            const q = findStringEnd(s, i + 1);
            // A string that runs past its line: JSON strings hold no raw newline, so in line mode the record was cut inside it.
            const nl = this.lineMode && this.line === this.elemLine && this.mode === 'top-object' ? this.endOfLine(i) : -1;
            if (nl >= 0 && (q < 0 || q > nl) && this.cutShort(nl)) { this.emitCutShort(out, nl); i = nl; continue; }
            if (q < 0) { this.pos = i; return; } // wait for the rest of the key
            if (this.depth === 1) this.lastKey = s.slice(i + 1, q);
            i = q + 1;
            continue;
          }
          if (c === COLON) {
            i++;
            if (this.depth === 1 && this.lastKey === 'records') {
              // Look ahead for '[': an Event Hubs body. Wait for more input if it is not here yet.
              // A body that repeats the key (`{"records":[a],"records":[b]}`) has both arrays read:
              // JSON.parse would keep the last, and the records of the first would vanish unsaid.
              let j = i;
              while (j < n && isSpace(s.charCodeAt(j))) j++;
              if (j === n) { i = i - 1; this.pos = i; return; }
              if (s.charCodeAt(j) === LBRACKET) {
                this.sawRecordsKey = true;
                this.mode = 'records-array';
                i = j + 1;
              }
            }
            this.lastKey = null;
            continue;
          }
          if (c === LBRACE || c === LBRACKET) {
            if (++this.depth > this.topMaxDepth) this.topMaxDepth = this.depth;
            i++;
            continue;
          }
          if (c === RBRACE || c === RBRACKET) {
            this.depth--;
            i++;
            if (this.depth === 0) {
              if (this.mode === 'top-object') {
                out.push({ text: s.slice(this.topStart, i), spaced: this.topSpaced, depth: this.topMaxDepth, line: this.elemLine, start: this.base + this.topStart, end: this.base + i });
                if (this.line === this.elemLine) this.lineMode = true;
              }
              this.mode = 'start';
              this.topStart = -1;
              this.lastKey = null;
            }
            continue;
          }
          i++;
          continue;
        }
      }
    }
    this.pos = i;
  }

  /**
   * In line mode, whether the newline at `nl` ends a top-level object cut short: one still open
   * that began on this line, written compactly as JSON Lines are. An object laid out over lines
   * has whitespace on its first line (`{` then a newline, or `{ "a": {`), and goes on.
   */
  private cutShort(nl: number): boolean {
    return this.lineMode && this.mode === 'top-object' && this.depth > 0 && this.line === this.elemLine
      && isCompactLine(this.buf, this.topStart, nl);
  }

  /** The end of the line at `from`, found once per line (an offset in `buf`; -1 if not fed yet). */
  private endOfLine(from: number): number {
    if (this.lineEnd < from) this.lineEnd = this.buf.indexOf('\n', from);
    return this.lineEnd;
  }

  /** Refuses the line from the open object's start to `nl` and goes on at the newline, as after a stray line. */
  private emitCutShort(out: SplitElement[], nl: number): void {
    const end = nl > this.topStart && this.buf.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
    out.push({
      text: this.buf.slice(this.topStart, end), spaced: false, depth: 0, line: this.elemLine, start: this.base + this.topStart, end: this.base + end,
      error: `line ${this.elemLine}: the line ends inside an unclosed object (a record cut short)`,
    });
    this.mode = 'start';
    this.topStart = -1;
    this.depth = 0;
    this.lastKey = null;
  }

  private emit(out: SplitElement[], end: number): void {
    out.push({ text: this.buf.slice(this.elemStart, end).trim(), spaced: this.spaced, depth: this.elemMaxDepth, line: this.elemLine, start: this.base + this.elemStart, end: this.base + end });
    this.elemStart = -1;
  }

  /** A stray line as an error element. Only its first character is quoted in the message: the text may hold a secret. */
  private emitGarbage(out: SplitElement[], end: number): void {
    const text = this.garbageText.trim();
    out.push({
      text, spaced: false, depth: 0, line: this.garbageLine, start: this.garbageStart, end,
      error: `line ${this.garbageLine}: expected a JSON object or array, found '${printable(text[0] ?? '')}'`,
    });
    this.mode = 'start';
    this.garbageText = '';
  }
}

/** Where to resume an unfinished string: before any trailing backslashes, so an escape split across chunks is still seen. */
function resumePoint(s: string, from: number): number {
  let end = s.length;
  while (end > from && s.charCodeAt(end - 1) === BACKSLASH) end--;
  return end;
}

/**
 * Whether `s[from, to)` is a line's start of compact JSON: something after the first character,
 * and no whitespace outside strings but a CR before the newline. Only called at a newline inside
 * an open record, so its cost does not fall on records that close on their line.
 */
function isCompactLine(s: string, from: number, to: number): boolean {
  const end = to > from && s.charCodeAt(to - 1) === CR ? to - 1 : to;
  if (end <= from + 1) return false;
  let inString = false;
  for (let i = from; i < end; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (isSpace(c)) return false;
  }
  return true;
}

function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === LF;
}

/** Index of the closing quote of a string whose content starts at `from`, or -1 if not in `s` yet. */
function findStringEnd(s: string, from: number): number {
  let q = s.indexOf('"', from);
  while (q >= 0) {
    let k = q - 1;
    let backslashes = 0;
    while (k >= from && s.charCodeAt(k) === BACKSLASH) { backslashes++; k--; }
    if (backslashes % 2 === 0) return q;
    q = s.indexOf('"', q + 1);
  }
  return -1;
}

/** Splits one complete JSON text (a line, a message body) into its records. */
export function splitRecords(text: string): { elements: SplitElement[]; envelope: boolean } {
  const splitter = new JsonRecordSplitter();
  const elements = splitter.feed(text);
  elements.push(...splitter.end());
  return { elements, envelope: splitter.isEnvelope };
}
