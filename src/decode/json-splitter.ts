/**
 * Finds the records in JSON text without building objects: the elements of a top-level array,
 * the elements of an Event Hubs body's `"records"` array, or a single top-level object.
 * It is incremental (feed chunks, get element texts as they complete), so a 2 GB `.json`
 * file streams through with one record in memory at a time, and each record keeps the text it
 * arrived as (no re-serialization for `raw`, no second parse for the hash).
 *
 * Strings are skipped with `indexOf`, which is where nearly all of an audit record's bytes are.
 */

export interface SplitElement {
  text: string;
  /** True when the element had whitespace outside strings (pretty-printed): its text is not canonical. */
  spaced: boolean;
  /** 1-based line where the element starts, counted in the text fed so far. */
  line: number;
}

const QUOTE = 34, BACKSLASH = 92, LBRACE = 123, RBRACE = 125, LBRACKET = 91, RBRACKET = 93;
const SPACE = 32, TAB = 9, LF = 10, CR = 13, COLON = 58, COMMA = 44;

type Mode =
  | 'start'          // before the top-level value
  | 'top-array'      // inside a top-level [ ... ]: elements are records
  | 'top-object'     // inside a top-level { ... } not (yet) known to be an envelope
  | 'records-array'  // inside the envelope's "records": [ ... ]
  | 'after-records'  // inside the envelope, after its records array
  | 'done';

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
  private spaced = false;
  private inString = false;
  /** Top-level object: the key just read at depth 1, to spot `"records"`. */
  private lastKey: string | null = null;
  private sawRecordsKey = false;
  private topStart = -1;
  private topSpaced = false;

  /** True once a `"records": [...]` array was seen: the input is an Event Hubs body. */
  get isEnvelope(): boolean { return this.sawRecordsKey; }

  feed(chunk: string): SplitElement[] {
    this.buf += chunk;
    const out: SplitElement[] = [];
    this.scan(out);
    this.compact();
    return out;
  }

  /** Ends the input. Throws a SyntaxError naming what is missing when the text is incomplete. */
  end(): SplitElement[] {
    const out: SplitElement[] = [];
    this.scan(out);
    if (this.mode === 'start' && this.buf.slice(this.pos).trim() === '') throw new SyntaxError('empty input: expected a JSON object or array');
    if (this.mode !== 'done') throw new SyntaxError(`unexpected end of JSON input at line ${this.line} (unclosed ${this.describeOpen()})`);
    const rest = this.buf.slice(this.pos).trim();
    if (rest !== '') throw new SyntaxError(`unexpected text after the JSON value at line ${this.line}: ${rest.slice(0, 40)}`);
    return out;
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
      this.pos -= keepFrom;
      if (this.elemStart >= 0) this.elemStart -= keepFrom;
      if (this.topStart >= 0) this.topStart -= keepFrom;
    }
  }

  private scan(out: SplitElement[]): void {
    const s = this.buf;
    const n = s.length;
    let i = this.pos;
    while (i < n) {
      if (this.inString) {
        const q = findStringEnd(s, i);
        if (q < 0) { i = resumePoint(s, i); break; }
        i = q + 1;
        this.inString = false;
        continue;
      }
      const c = s.charCodeAt(i);
      if (c === SPACE || c === TAB || c === CR || c === LF) {
        if (c === LF) this.line++;
        if (this.elemStart >= 0) this.spaced = true;
        if (this.mode === 'top-object' && this.depth > 0) this.topSpaced = true;
        i++;
        continue;
      }
      switch (this.mode) {
        case 'start':
          if (c === LBRACKET) { this.mode = 'top-array'; i++; }
          else if (c === LBRACE) { this.mode = 'top-object'; this.topStart = i; this.depth = 1; this.elemLine = this.line; i++; }
          else throw new SyntaxError(`line ${this.line}: expected a JSON object or array, found '${s[i]}'`);
          continue;
        case 'top-array':
        case 'records-array': {
          if (this.elemStart < 0) {
            if (c === COMMA) { i++; continue; }
            if (c === RBRACKET) {
              this.mode = this.mode === 'top-array' ? 'done' : 'after-records';
              i++;
              continue;
            }
            this.elemStart = i; this.elemLine = this.line; this.spaced = false; this.elemDepth = 0;
          }
          if (c === QUOTE) { this.inString = true; i++; continue; }
          if (c === LBRACE || c === LBRACKET) { this.elemDepth++; i++; continue; }
          if (c === RBRACE || c === RBRACKET) {
            if (this.elemDepth === 0) throw new SyntaxError(`line ${this.line}: unexpected '${s[i]}'`);
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
            if (q < 0) { this.pos = i; return; } // wait for the rest of the key
            if (this.depth === 1) this.lastKey = s.slice(i + 1, q);
            i = q + 1;
            continue;
          }
          if (c === COLON) {
            i++;
            if (this.depth === 1 && this.lastKey === 'records' && this.mode === 'top-object') {
              // Look ahead for '[': an Event Hubs body. Wait for more input if it is not here yet.
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
          if (c === LBRACE || c === LBRACKET) { this.depth++; i++; continue; }
          if (c === RBRACE || c === RBRACKET) {
            this.depth--;
            i++;
            if (this.depth === 0) {
              if (this.mode === 'top-object') {
                out.push({ text: s.slice(this.topStart, i), spaced: this.topSpaced, line: this.elemLine });
              }
              this.mode = 'done';
              this.topStart = -1;
            }
            continue;
          }
          i++;
          continue;
        }
        case 'done':
          this.pos = i;
          return;
      }
    }
    this.pos = i;
  }

  private emit(out: SplitElement[], end: number): void {
    out.push({ text: this.buf.slice(this.elemStart, end).trim(), spaced: this.spaced, line: this.elemLine });
    this.elemStart = -1;
  }
}

/** Where to resume an unfinished string: before any trailing backslashes, so an escape split across chunks is still seen. */
function resumePoint(s: string, from: number): number {
  let end = s.length;
  while (end > from && s.charCodeAt(end - 1) === BACKSLASH) end--;
  return end;
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
