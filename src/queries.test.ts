/** Near-miss names for `auditlake query`. */
import { describe, expect, it } from 'vitest';
import { closestName } from './queries.js';

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
