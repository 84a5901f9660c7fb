import { describe, expect, it } from 'vitest';
import { parseBlobTarget, urlOf } from './blob-target.js';

describe('az:// targets', () => {
  it('reads account, container and prefix; a local path is no target', () => {
    expect(parseBlobTarget('az://acct1/audit-archive/tenant--a/')).toEqual({ account: 'acct1', container: 'audit-archive', prefix: 'tenant--a' });
    expect(parseBlobTarget('az://acct1/abc')).toEqual({ account: 'acct1', container: 'abc', prefix: '' });
    expect(parseBlobTarget('/var/lib/auditlake/export')).toBeNull();
  });

  it('writes a target back as the URL the exports table records, without a trailing slash', () => {
    expect(urlOf(parseBlobTarget('az://acct1/audit-archive/tenant--a/')!)).toBe('az://acct1/audit-archive/tenant--a');
    expect(urlOf(parseBlobTarget('az://acct1/abc/')!)).toBe('az://acct1/abc');
  });

  it('refuses container names Azure refuses, naming the rule, rather than failing at the first upload', () => {
    for (const url of ['az://acct1/a', 'az://acct1/ab', 'az://acct1/a--b', 'az://acct1/-abc', 'az://acct1/abc-', 'az://acct1/Audit', `az://acct1/${'a'.repeat(64)}`, 'az://ac/abc']) {
      expect(() => parseBlobTarget(url), url).toThrow(/container: 3-63 lowercase letters, digits and single hyphens/);
    }
  });
});
