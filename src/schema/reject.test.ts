import { describe, expect, it } from 'vitest';
import { MAX_REJECT_TEXT, rejectRow } from './reject.js';

describe('rejectRow', () => {
  it('keeps 64 KiB of long input, marked as cut, never half a surrogate pair', () => {
    const long = rejectRow('s', 'r', `${'x'.repeat(MAX_REJECT_TEXT - 1)}😀😀`).raw!;
    expect(long).toBe(`${'x'.repeat(MAX_REJECT_TEXT - 1)}…[truncated from ${MAX_REJECT_TEXT + 3} chars]`);
    expect(rejectRow('s', 'r', '{"a":1}').raw).toBe('{"a":1}');
  });

  it('redacts the reason and writes what a terminal would act on as escapes', () => {
    const r = rejectRow('file:x', 'line 2: Unexpected token \'p\', "?sig=SECRETSIG \u001b[2J\u2028" is not valid JSON', '');
    expect(r.reason).not.toContain('SECRETSIG');
    expect(r.reason).not.toMatch(/[\x00-\x1f\u2028]/);
    expect(r.reason).toContain('\\u001b[2J\\u2028');
  });
});
