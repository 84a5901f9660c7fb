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
   * Before that is known (the first line, or after bodies, arrays and laid-out values), and for
   * lines written with spaces, a line is refused only when the text proves it cut: see `firstLineEnds`.
   */
  private lineMode = false;
  /** Where the current top-level object's first line ends (an offset in `buf`), or -1 when not known yet. */
  private lineEnd = -1;
  /** No newline in the input from where `lineEnd` was last looked for up to here (an offset in the whole input). */
  private lineScanned = 0;
  /** The same for a line after it, looked for by `firstLineEnds` from `aheadFrom` (offsets in the whole input). */
  private aheadFrom = -1;
  private aheadScanned = 0;
  /** Set once the end of the current top-level object's first line was judged not to cut it short. */
  private lineChecked = false;
  /** Set by `end()`: no more text comes, so what follows the last character is known to be nothing. */
  private ended = false;

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
    this.ended = true;
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
        if (c === LF && this.mode === 'top-object' && this.line === this.elemLine && !this.lineChecked) {
          const end = this.firstLineEnds(out, i);
          if (end === REFUSED) continue;
          if (end === WAIT) break;
        }
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
          else if (c === LBRACE) { this.mode = 'top-object'; this.topStart = i; this.topSpaced = false; this.depth = 1; this.topMaxDepth = 1; this.elemLine = this.line; this.lineChecked = false; i++; }
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
            if (this.mode === 'top-object' && this.line === this.elemLine && !this.lineChecked) {
              // A string that runs past its line: JSON strings hold no raw newline, so the record may have been cut inside it.
              const nl = this.endOfLine(i);
              if (nl >= 0 && (q < 0 || q > nl)) {
                const end = this.firstLineEnds(out, nl);
                if (end === REFUSED) { i = nl; continue; }
                if (end === WAIT) { this.pos = i; return; }
              }
            }
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
   * The newline at `nl` ends the first line of the top-level object being read, still open: is
   * it a record cut short (REFUSED: the line is refused, reading goes on at `nl`), or an object
   * that goes on over lines (GO_ON)? WAIT when the text that tells has not been fed yet.
   *
   * In line mode a compact line is refused as it is: JSON Lines are written so, and an object
   * laid out over lines has whitespace on its first line (`{` then a newline, or `{ "a": {`).
   * Otherwise (before line mode, or a line with spaces: `{"time": "…", …}`) the text must show
   * both that the object cannot go on and that the next line is a record of its own:
   * - the next line begins an object at its first column, and that '{' cannot follow this line
   *   in valid JSON (the line ends inside a string, or after a value, a key, or a comma between
   *   keys), and the next line holds one whole object (or is itself cut so, before such a line);
   * - or, where a '{' may go on with this line (after ':', '[' or ',' in an array: `{"a":` then
   *   `{"b":1}}`), the next line holds one whole object and the line after it begins another,
   *   which nothing valid does after a value.
   * Otherwise (the end of the input, anything else) the object goes on as before: valid JSON is
   * never refused, an object nested in a laid-out one (indented) never begins a record, and one
   * laid out with nested objects at the first column is read as a record only when its own text
   * is broken and its nested object is whole on its line. Even in line mode a compact line that
   * a '{' at the next line's start may go on with is refused only when that line is still open
   * at its end, or whole with a line beginning '{' or the end of the input after it: so
   * `{"a":` then `{"b":1}}` is one record, not a refused line, `{"b":1}` and a stray '}'.
   * A line holding only `{` is never refused (it begins an object laid out over lines).
   * Runs once per top-level object that is open at the end of its first line, never per character.
   */
  private firstLineEnds(out: SplitElement[], nl: number): LineEnd {
    const s = this.buf;
    const compact = this.lineMode && isCompactLine(s, this.topStart, nl);
    if (!compact && !holdsMoreThanBrace(s, this.topStart, nl)) return this.goOn();
    const mayFollow = valueMayFollow(s, this.topStart, nl);
    if (compact && !mayFollow) return this.refuse(out, nl);
    const next = this.charAfter(nl);
    if (next === NOT_FED) return WAIT;
    if (next !== LBRACE) return compact ? this.refuse(out, nl) : this.goOn();
    if (mayFollow) {
      const nl2 = this.lineAfter(nl);
      if (nl2 === NOT_FED) return WAIT;
      const shape = lineShape(s, nl + 1, nl2 < 0 ? s.length : nl2);
      if (shape !== WHOLE) return compact && shape === OPEN ? this.refuse(out, nl) : this.goOn();
      // Then, where valid JSON goes on with ',', '}' or ']': a line beginning '{' (or, in line mode, the end of the input).
      const record = nl2 < 0 ? compact : compact ? this.recordOrEndAfter(nl2) : this.objectAfter(nl2);
      if (record === NOT_FED) return WAIT;
      if (!record) return this.goOn();
    } else {
      const record = this.beginsRecord(nl);
      if (record === NOT_FED) return WAIT;
      if (!record) return this.goOn();
    }
    return this.refuse(out, nl);
  }

  private refuse(out: SplitElement[], nl: number): LineEnd {
    this.emitCutShort(out, nl);
    return REFUSED;
  }

  /**
   * Whether the line after the newline at `nl`, which begins with '{', is a record of its own:
   * it holds one whole object and the text goes on as JSON Lines do (the next line begins with
   * '{', or the input ends), or it is cut as this one is (its object still open at its end, no
   * '{' can go on with it) and the line after it begins with '{' and is one, and so on.
   * NOT_FED when the text that tells may still come.
   */
  private beginsRecord(nl: number): boolean | typeof NOT_FED {
    const s = this.buf;
    for (let from = nl + 1; ; ) {
      let end = this.lineAfter(from - 1);
      if (end === NOT_FED) return NOT_FED;
      if (end < 0) end = s.length; // the last line, without a newline
      const shape = lineShape(s, from, end);
      if (shape === WHOLE) return end === s.length ? true : this.recordOrEndAfter(end);
      if (shape !== OPEN || end === s.length || !holdsMoreThanBrace(s, from, end) || valueMayFollow(s, from, end)) return false;
      const next = this.charAfter(end);
      if (next === NOT_FED) return NOT_FED;
      if (next !== LBRACE) return false;
      from = end + 1;
    }
  }

  /** Whether after the newline at `nl` comes only whitespace to the end of the input, or a '{' at a line's first column. */
  private recordOrEndAfter(nl: number): boolean | typeof NOT_FED {
    const s = this.buf;
    let i = nl + 1;
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    if (i === s.length) return this.ended ? true : NOT_FED;
    return s.charCodeAt(i) === LBRACE && s.charCodeAt(i - 1) === LF;
  }

  private goOn(): LineEnd {
    this.lineChecked = true;
    return GO_ON;
  }

  /** Whether a '{' follows the newline at `nl`. */
  private objectAfter(nl: number): boolean | typeof NOT_FED {
    const next = this.charAfter(nl);
    return next === NOT_FED ? NOT_FED : next === LBRACE;
  }

  /** The character after `at`: -1 at the end of the input, NOT_FED when it may still come. */
  private charAfter(at: number): number {
    if (at + 1 < this.buf.length) return this.buf.charCodeAt(at + 1);
    return this.ended ? -1 : NOT_FED;
  }

  /**
   * The newline ending the line after `nl`: -1 at the end of the input, NOT_FED when it may
   * still come. A line fed over many chunks is not looked through again from its start.
   */
  private lineAfter(nl: number): number {
    const from = this.base + nl + 1;
    const found = this.buf.indexOf('\n', from === this.aheadFrom ? Math.max(nl + 1, this.aheadScanned - this.base) : nl + 1);
    if (found >= 0) return found;
    this.aheadFrom = from;
    this.aheadScanned = this.base + this.buf.length;
    return this.ended ? -1 : NOT_FED;
  }

  /** The end of the line at `from`, found once per line (an offset in `buf`; -1 if not fed yet), each character looked at once. */
  private endOfLine(from: number): number {
    if (this.lineEnd < from) {
      this.lineEnd = this.buf.indexOf('\n', Math.max(from, this.lineScanned - this.base));
      if (this.lineEnd < 0) this.lineScanned = this.base + this.buf.length;
    }
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

type LineEnd = 0 | 1 | 2;
const GO_ON = 0, REFUSED = 1, WAIT = 2;
/** Not a character code nor -1: the text that would tell has not been fed yet. */
const NOT_FED = -2;

/**
 * Whether an object begun at `from` and cut at `to` (a line's end, outside any string or inside
 * one) may go on with a '{' in valid JSON: after ':', '[', or ',' between an array's elements.
 * Not after a value, a key, '{' or ',' between keys, nor inside a string (it holds no raw newline).
 */
function valueMayFollow(s: string, from: number, to: number): boolean {
  const open: number[] = [];
  let inString = false;
  let last = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) { inString = false; last = QUOTE; }
    } else if (c === QUOTE) inString = true;
    else if (!isSpace(c)) {
      if (c === LBRACE || c === LBRACKET) open.push(c);
      else if (c === RBRACE || c === RBRACKET) open.pop();
      last = c;
    }
  }
  if (inString) return false;
  return last === COLON || last === LBRACKET || (last === COMMA && open[open.length - 1] === LBRACKET);
}

/** Whether `s[from, to)`, a line from its object's '{', holds more than that brace and whitespace. */
function holdsMoreThanBrace(s: string, from: number, to: number): boolean {
  for (let i = from + 1; i < to; i++) if (!isSpace(s.charCodeAt(i))) return true;
  return false;
}

const WHOLE = 0, OPEN = 1, OTHER = 2;

/**
 * The shape of a line `s[from, to)` that begins with '{': WHOLE when it holds one whole object
 * and nothing after it but whitespace, OPEN when that object is still open at its end (a record
 * cut short looks so), OTHER when the object closes before the line's end and more follows.
 */
function lineShape(s: string, from: number, to: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === LBRACE || c === LBRACKET) depth++;
    else if ((c === RBRACE || c === RBRACKET) && --depth <= 0) {
      for (let j = i + 1; j < to; j++) if (!isSpace(s.charCodeAt(j))) return OTHER;
      return depth === 0 ? WHOLE : OTHER;
    }
  }
  return OPEN;
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
