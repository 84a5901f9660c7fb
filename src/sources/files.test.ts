import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_FILE_OPTIONS, listInputFiles, readFiles } from './files.js';

const dir = mkdtempSync(join(tmpdir(), 'auditlake-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('listInputFiles', () => {
  it('lists an archive container hour by hour across categories, other files first', () => {
    const hour = (category: string, h: string) => join(dir, 'archive', `insights-logs-${category}`, 'resourceId=/SUBSCRIPTIONS/S', 'y=2025', 'm=11', 'd=14', `h=${h}`, 'm=00', 'PT1H.json');
    const files = [hour('auditevent', '05'), hour('auditevent', '06'), hour('storageread', '05'), hour('storageread', '06'), join(dir, 'archive', 'export.json')];
    for (const f of files) {
      mkdirSync(join(f, '..'), { recursive: true });
      writeFileSync(f, '{}');
    }
    expect(listInputFiles([join(dir, 'archive')])).toEqual([files[4], files[0], files[2], files[1], files[3]]);
  });
});

describe('readFiles', () => {
  it('keeps the start of an over-long line redacted, even a secret that runs past the part kept', async () => {
    const file = join(dir, 'long.ndjson');
    // Past the first 1 MiB read, so the line is still open when the limit is checked; the SAS
    // signature starts before the 1,024 characters kept and ends after them.
    writeFileSync(file, `{"uri":"https://a/c?${'x=1&'.repeat(245)}sig=${'S'.repeat(3000)}","pad":"${'p'.repeat(2 << 20)}"}\n{"time":"2025-11-14T05:00:00Z"}\n`);
    const rejects = [];
    const units = [];
    for await (const batch of readFiles([file], { ...DEFAULT_FILE_OPTIONS, maxLineBytes: 8192 })) {
      rejects.push(...batch.rejects);
      units.push(...batch.units);
    }
    expect(units.map((u) => u.text)).toEqual(['{"time":"2025-11-14T05:00:00Z"}']);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.reason).toBe('line 1: line longer than 8192 bytes; skipped');
    expect(rejects[0]!.raw).toHaveLength(1024);
    expect(rejects[0]!.raw).not.toContain('SSS');
    expect(rejects[0]!.raw).toContain('sig=REDACTED","pad":"ppp');
  });
});
