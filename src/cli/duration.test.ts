/** `--since` / `--until` values: durations, dates, ISO times, and what is refused. */
import { describe, expect, it } from 'vitest';
import { parseDuration, parseSince } from './duration.js';

const now = Date.parse('2025-11-14T12:00:00Z');

describe('parseSince', () => {
  it('reads a duration back from now, an ISO time (no zone is UTC) and a plain date as the start of that UTC day', () => {
    expect(parseSince('24h', now)).toBe(Date.parse('2025-11-13T12:00:00Z'));
    expect(parseSince('2025-11-01T08:30:00Z', now)).toBe(Date.parse('2025-11-01T08:30:00Z'));
    expect(parseSince('2025-11-01T08:30:00', now)).toBe(Date.parse('2025-11-01T08:30:00Z'));
    expect(parseSince('2025-11-01', now)).toBe(Date.parse('2025-11-01T00:00:00Z'));
    expect(parseSince('2024-02-29', now)).toBe(Date.parse('2024-02-29T00:00:00Z'));
  });

  it('reads a plain date as the end of that day when asked (export --until: "before the end of this day")', () => {
    expect(parseSince('2025-11-14', now, { flag: '--until', date: 'end' })).toBe(Date.parse('2025-11-15T00:00:00Z'));
    expect(parseSince('2025-11-14T10:00:00Z', now, { flag: '--until', date: 'end' })).toBe(Date.parse('2025-11-14T10:00:00Z'));
  });

  it('refuses days and times the calendar does not have, rather than rolling them over', () => {
    for (const v of ['2025-02-30T00:00:00Z', '2025-02-29', '2025-13-01', '2025-04-31T10:00:00Z', '2025-11-14T24:00:00Z', '2025-11-14T10:60:00Z', '0000-01-01']) {
      expect(() => parseSince(v, now)).toThrow(expect.objectContaining({ code: 'bad_argument', message: expect.stringMatching(new RegExp(`^--since ${v}: not a (date|time) in the calendar`)) }));
    }
  });

  it('refuses a duration reaching back past what DuckDB holds (it failed there as "Epoch seconds out of range")', () => {
    expect(() => parseSince('99999999999d', now)).toThrow(expect.objectContaining({ code: 'bad_argument', message: expect.stringMatching(/^--since 99999999999d: too long ago/) }));
    expect(() => parseSince('9'.repeat(400) + 'd', now)).toThrow(/too long ago/);
    expect(parseSince('700000d', now)).toBeLessThan(0);
  });

  it('names the flag it was given', () => {
    expect(() => parseSince('yesterday', now, { flag: '--until' })).toThrow(/^--until yesterday: expected a duration like 30m, 24h, 7d, a date \(2025-11-14\), or an ISO-8601 time/);
    expect(() => parseSince('2025-02-30', now, { flag: '--until' })).toThrow(/^--until 2025-02-30:/);
  });
});

describe('parseDuration', () => {
  it('takes a positive duration no longer than the calendar', () => {
    expect(parseDuration('--retain', '90d')).toBe(90 * 86_400_000);
    for (const v of ['0d', '-1d', '99999999999d', 'forever']) expect(() => parseDuration('--retain', v)).toThrow(`--retain ${v}: expected a duration`);
  });
});
