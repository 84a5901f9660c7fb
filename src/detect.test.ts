/** Which detectors `detectors.disabled` switches off, and the entries it refuses. */
import { describe, expect, it } from 'vitest';
import { enabledDetectors } from './detect.js';
import { detectorMatcher } from './detectors/define.js';

describe('enabledDetectors', () => {
  it('switches off by id, by family prefix (rbac.) and by bare family (rbac)', async () => {
    const all = await enabledDetectors([]);
    const rbac = all.filter((d) => d.id.startsWith('rbac.'));
    expect(rbac.length).toBeGreaterThan(1);
    for (const entry of ['rbac', 'rbac.']) {
      const left = await enabledDetectors([entry]);
      expect(left.map((d) => d.id)).toEqual(all.filter((d) => !d.id.startsWith('rbac.')).map((d) => d.id));
    }
    expect((await enabledDetectors([rbac[0]!.id])).length).toBe(all.length - 1);
  });

  it('refuses an entry that matches no detector, naming the file, its index and the value', async () => {
    await expect(enabledDetectors(['rbac', 'rbac.privileged-role-assigned-typo'], 'c.yaml')).rejects.toMatchObject({
      code: 'bad_config',
      message: expect.stringMatching(/^c\.yaml: detectors\.disabled\[1\]: 'rbac\.privileged-role-assigned-typo' matches no detector \(.*family: keyvault, rbac/),
    });
    for (const entry of ['rbac.privileged', 'rba', 'nosuch.', 'r']) await expect(enabledDetectors([entry])).rejects.toThrow(/detectors\.disabled\[0\]/);
  });
});

describe('detectorMatcher', () => {
  it('a family matches its members only, never a longer family name or a prefix of an id', () => {
    expect(detectorMatcher('rbac')('rbac.x')).toBe(true);
    expect(detectorMatcher('rbac')('rbacx.y')).toBe(false);
    expect(detectorMatcher('rbac.x')('rbac.xy')).toBe(false);
    expect(detectorMatcher('rbac.x')('rbac.x')).toBe(true);
  });
});
