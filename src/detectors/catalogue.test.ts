import { describe, expect, it } from 'vitest';
import { DETECTOR_FAMILIES } from './define.js';
import { detectors } from './index.js';
import { runCase } from './run-cases.js';

describe('detector catalogue', () => {
  it('has unique ids, one family each', () => {
    const ids = detectors.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const d of detectors) expect(DETECTOR_FAMILIES).toContain(d.family);
  });

  for (const d of detectors) {
    describe(d.id, () => {
      for (const c of d.cases) {
        it(`${c.fires ? 'fires' : 'quiet'}: ${c.name}`, () => {
          const r = runCase(d, c);
          expect(r.message).toBe('');
          expect(r.passed).toBe(true);
        });
      }
    });
  }
});
