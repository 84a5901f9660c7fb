/**
 * Keyed state with a hard cap, and the small numeric structures the shapes keep per key.
 * Everything here serialises to plain JSON in a stable order: a snapshot restored and fed the
 * same events must behave exactly like the engine that was never stopped.
 */

/**
 * A map with a hard cap and approximately-LRU eviction, in two generations: keys live in `young`
 * until it holds half the cap, then `young` becomes `old` and the previous `old` is dropped
 * whole; a key read from `old` moves back to `young`. Every operation is O(1) (a strict LRU over
 * one Map degrades: deleted slots pile up at its front and every eviction scans them).
 * A flood of distinct keys (a million principals) thus evicts the coldest half instead of
 * growing; shapes treat a missing key as 'no history', which makes baselines quiet, never noisy.
 */
export class BoundedMap<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly half: number;
  evicted = 0;
  /** `onEvict` hears of each entry the cap drops (not of sweeps or deletes). */
  constructor(readonly maxKeys: number, private readonly onEvict?: (key: string, value: V) => void) {
    this.half = Math.max(1, Math.floor(maxKeys / 2));
  }

  get size(): number { return this.young.size + this.old.size; }

  /** Reads and marks as recently used. */
  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) { this.old.delete(key); this.insertYoung(key, o); }
    return o;
  }

  /** Reads without changing recency. */
  peek(key: string): V | undefined { return this.young.get(key) ?? this.old.get(key); }

  set(key: string, value: V): void {
    if (this.young.has(key)) { this.young.set(key, value); return; }
    this.old.delete(key);
    this.insertYoung(key, value);
  }

  delete(key: string): void {
    if (!this.young.delete(key)) this.old.delete(key);
  }

  private insertYoung(key: string, value: V): void {
    if (this.young.size >= this.half) {
      this.evicted += this.old.size;
      if (this.onEvict) for (const [k, v] of this.old) this.onEvict(k, v);
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  /** Drops entries no window or baseline needs; rebuilds rather than deletes so no holes pile up. */
  sweep(isStale: (value: V) => boolean): void {
    const keep = (m: Map<string, V>): Map<string, V> => {
      const out = new Map<string, V>();
      for (const [k, v] of m) if (!isStale(v)) out.set(k, v);
      return out;
    };
    this.old = keep(this.old);
    this.young = keep(this.young);
  }

  /** Both generations, in order, values passed through `save` (default: as they are). */
  toJSON<S = V>(save?: (value: V) => S): { old: [string, S][]; young: [string, S][] } {
    const dump = (m: Map<string, V>): [string, S][] => {
      const out: [string, S][] = [];
      for (const [k, v] of m) out.push([k, save ? save(v) : (v as unknown as S)]);
      return out;
    };
    return { old: dump(this.old), young: dump(this.young) };
  }

  load<S = V>(state: unknown, restore?: (saved: S) => V): void {
    const read = (rows: unknown): Map<string, V> => {
      const m = new Map<string, V>();
      if (Array.isArray(rows)) {
        for (const r of rows) if (Array.isArray(r) && typeof r[0] === 'string') m.set(r[0], restore ? restore(r[1] as S) : (r[1] as V));
      }
      return m;
    };
    const s = (state ?? {}) as { old?: unknown; young?: unknown };
    this.old = read(s.old);
    this.young = read(s.young);
  }
}

/**
 * Time-bucketed counts/sums for one key, flattened as [pane, count, sum, pane, count, sum, ...]
 * in ascending pane order. A window of N panes is `sliding` at pane resolution; the flat array
 * keeps per-key memory to a few numbers instead of one object per event.
 */
export const Panes = {
  add(p: number[], pane: number, sum: number): void {
    // Out-of-order events land near the end: scan backwards.
    let i = p.length - 3;
    while (i >= 0 && p[i]! > pane) i -= 3;
    if (i >= 0 && p[i] === pane) { p[i + 1]! += 1; p[i + 2]! += sum; return; }
    p.splice(i + 3, 0, pane, 1, sum);
  },
  /** Removes panes before `minPane`. */
  prune(p: number[], minPane: number): void {
    let n = 0;
    while (n < p.length && p[n]! < minPane) n += 3;
    if (n > 0) p.splice(0, n);
  },
  /**
   * The fullest window of `width` panes that contains `pane`: windows ending at `pane` or at any
   * later present pane within reach. Returns [count, sum, firstPaneOfWindow] of the best one
   * by `bySum` (first = its earliest non-empty pane), or null when the key has nothing there.
   */
  best(p: number[], pane: number, width: number, bySum: boolean): [number, number, number] | null {
    let best: [number, number, number] | null = null;
    const ends: number[] = [pane];
    for (let i = 0; i < p.length; i += 3) if (p[i]! > pane && p[i]! < pane + width) ends.push(p[i]!);
    for (const end of ends) {
      let count = 0, sum = 0, firstPane = end;
      for (let i = 0; i < p.length; i += 3) {
        const q = p[i]!;
        if (q > end - width && q <= end) { count += p[i + 1]!; sum += p[i + 2]!; if (q < firstPane) firstPane = q; }
      }
      const score = bySum ? sum : count;
      if (best === null || score > (bySum ? best[1] : best[0])) best = [count, sum, firstPane];
    }
    return best;
  },
};

/** A key's peak per day, flattened [day, peak, ...], kept for `days` + today. */
export const DailyPeaks = {
  record(d: number[], day: number, value: number, days: number): void {
    let i = d.length - 2;
    while (i >= 0 && d[i]! > day) i -= 2;
    if (i >= 0 && d[i] === day) { if (value > d[i + 1]!) d[i + 1] = value; }
    else d.splice(i + 2, 0, day, value);
    while (d.length > 0 && d[0]! < day - days) d.splice(0, 2);
  },
  /** Highest peak in the `days` before `day` (0 when none). */
  before(d: number[], day: number, days: number): number {
    let max = 0;
    for (let i = 0; i < d.length; i += 2) if (d[i]! < day && d[i]! >= day - days && d[i + 1]! > max) max = d[i + 1]!;
    return max;
  },
};

/** Appends while under the cap: evidence keeps the first contributing ids, which explain the start. */
export function pushCapped<T>(list: T[], item: T, cap: number): void {
  if (list.length < cap && !list.includes(item)) list.push(item);
}

/** Keeps the most recent `cap` ids (a ring, by shifting: caps are small). */
export function pushRecent(list: string[], id: string, cap: number): void {
  if (list.length >= cap) list.shift();
  list.push(id);
}

export const DAY_MS = 86_400_000;
