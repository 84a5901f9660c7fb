/** Near-miss names for `auditlake query`, and how a saved query's parameters are bound. */
import { describe, expect, it } from 'vitest';
import { redactSecrets } from './schema/redact.js';
import { bindParams, closestName, findSavedQuery, listSavedQueries } from './queries.js';

describe('closestName', () => {
  const names = ['principal-timeline', 'principal-activity', 'secret-readers', 'ip-activity'];
  it('suggests a name a slip away, and nothing for a different word', () => {
    expect(closestName('principal-timelin', names)).toBe('principal-timeline');
    expect(closestName('secret-reader', names)).toBe('secret-readers');
    expect(closestName('Secret-Readers', names)).toBe('secret-readers');
    expect(closestName('frobnicate', names)).toBeUndefined();
    expect(closestName('x', [])).toBeUndefined();
  });
});

describe('bindParams', () => {
  const activity = findSavedQuery('principal-activity')!;
  const now = Date.parse('2026-12-07T12:00:00Z');
  const bind = (given: Record<string, string>) => bindParams(activity.sql, { principal: 'ada', ...given }, activity, now);

  it("takes a saved query's since and until as --since takes them, and binds ISO times", () => {
    expect(bind({ since: '7d', until: '30m' })).toMatchObject({ since: '2026-11-30T12:00:00.000Z', until: '2026-12-07T11:30:00.000Z' });
    // A plain date: since from the start of that day, until through its end (until is exclusive).
    expect(bind({ since: '2025-11-14', until: '2025-11-14' })).toMatchObject({ since: '2025-11-14T00:00:00.000Z', until: '2025-11-15T00:00:00.000Z' });
    expect(bind({ since: '2025-11-14T09:00:00+02:00' }).since).toBe('2025-11-14T07:00:00.000Z');
    // The defaults are bound as written.
    expect(bind({})).toMatchObject({ since: '1970-01-01T00:00:00Z', until: '2999-01-01T00:00:00Z' });
  });

  it('refuses a window it cannot read, naming the parameter, before DuckDB sees it', () => {
    expect(() => bind({ since: '7x' })).toThrow(/^--param since 7x: expected a duration like 30m/);
    expect(() => bind({ until: '2025-02-30' })).toThrow(/^--param until 2025-02-30: not a date in the calendar/);
  });

  it('leaves since and until of ad hoc SQL alone: their meaning is the author\'s', () => {
    expect(bindParams('SELECT $since', { since: '7d' })).toEqual({ since: '7d' });
  });

  it('names a missing parameter in words the redaction on the way out leaves readable', () => {
    const readers = findSavedQuery('secret-readers')!;
    const message = (() => { try { bindParams(readers.sql, {}, readers); } catch (err) { return (err as Error).message; } })();
    expect(message).toBe('saved query secret-readers needs a value for $secret (give it with --param, as NAME=VALUE)');
    expect(redactSecrets(message!)).toBe(message);
  });

  it("every saved query's since and until default to a time", () => {
    const window = listSavedQueries().flatMap((q) => q.params.filter((p) => p.name === 'since' || p.name === 'until').map((p) => [q.name, p] as const));
    expect(window.length).toBeGreaterThan(20);
    for (const [name, p] of window) expect(Number.isNaN(Date.parse(p.default ?? '')), `${name} ${p.name}`).toBe(false);
  });
});
