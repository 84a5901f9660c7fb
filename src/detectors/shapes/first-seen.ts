/**
 * First-seen: a (scope, value) pair never seen in the scope's baseline period — a principal new
 * to a vault, an IP new to a principal, an auth type new to an account.
 *
 * Learning: a scope fires only once it has `learningDays` of event-time history. On a fresh
 * database that means silence for the first days of data (everything is new); a backfill of
 * older events teaches the same history, because it is measured in event time, not wall time.
 * A new pair fires however late its event arrives (an intruder's first read delivered 20 minutes
 * late is still new), unless the event is history (ctx.history: a backfill into a store the
 * stream has moved past), which teaches and never fires.
 * A scope evicted under memory pressure starts learning again, and so does a scope one of whose
 * pairs is evicted (its pairs outnumber scopes and are capped apart): quiet, never noisy.
 */
import type { FirstSeenShape } from '../define.js';
import type { Incidents } from '../incidents.js';
import { BoundedMap, DAY_MS } from '../state.js';
import type { RunnerLimits, ShapeRunner } from './runner.js';

/** [first seen, last seen] of a scope. */
type ScopeState = [number, number];

const PAIR_SEPARATOR = '\u0001';
const scopeOf = (pair: string): string => pair.slice(0, pair.indexOf(PAIR_SEPARATOR));

export function firstSeenRunner(spec: FirstSeenShape, incidents: Incidents, limits: RunnerLimits): ShapeRunner {
  const learningMs = spec.learningDays * DAY_MS;
  const forgetMs = spec.forgetDays * DAY_MS;
  const scopes = new BoundedMap<ScopeState>(limits.maxKeys);
  // Pairs outnumber scopes (every IP of every principal): a larger, but still fixed, budget.
  // A pair forgotten while its scope is kept would look new: the scope learns again instead.
  const pairs = new BoundedMap<number>(limits.maxKeys * 4, (pair) => scopes.delete(scopeOf(pair)));

  return {
    onEvent(e, ctx) {
      if (!spec.where(e)) return;
      const scope = spec.scope(e);
      if (scope === null) return;
      const value = spec.value(e);
      if (value === null) return;
      const t = e.time;
      let s = scopes.get(scope);
      if (s === undefined) { s = [t, t]; scopes.set(scope, s); }
      else { if (t < s[0]) s[0] = t; if (t > s[1]) s[1] = t; }

      const pair = `${scope}${PAIR_SEPARATOR}${value}`;
      const lastSeen = pairs.get(pair);
      const known = lastSeen !== undefined && t - lastSeen <= forgetMs;
      if (known) {
        if (t > lastSeen) pairs.set(pair, t);
        if (!ctx.tooLate) incidents.extend(pair, e);
        return;
      }
      pairs.set(pair, lastSeen !== undefined && lastSeen > t ? lastSeen : t);
      const historyMs = t - s[0];
      if (ctx.history || historyMs < learningMs) return;
      if (spec.alertOn !== undefined && !spec.alertOn(e)) return;
      incidents.fire(pair, e, t, {
        scope, value, scope_history_days: Math.round((historyMs / DAY_MS) * 10) / 10,
        previously_seen: lastSeen !== undefined ? new Date(lastSeen).toISOString() : null,
      });
    },
    sweep(watermarkMs) {
      scopes.sweep((s) => s[1] < watermarkMs - forgetMs);
      pairs.sweep((last) => last < watermarkMs - forgetMs);
    },
    get keyCount() { return scopes.size + pairs.size; },
    get evicted() { return scopes.evicted + pairs.evicted; },
    save: () => ({ scopes: scopes.toJSON(), pairs: pairs.toJSON() }),
    load(state) {
      const s = (state ?? {}) as { scopes?: unknown; pairs?: unknown };
      scopes.load(s.scopes);
      pairs.load(s.pairs);
    },
  };
}
