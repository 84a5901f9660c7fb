import { describe, expect, it } from 'vitest';
import { archiveHour, replayOrder } from './archive-order.js';

const RID = 'resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/V';
const at = (category: string, d: number, h: number) => `/data/insights-logs-${category}/${RID}/y=2025/m=11/d=${String(d).padStart(2, '0')}/h=${String(h).padStart(2, '0')}/m=00/PT1H.json`;

describe('archiveHour', () => {
  it('reads the hour of Azure archive paths, with or without the minute folder, either slash', () => {
    expect(archiveHour(at('auditevent', 14, 5))).toBe('202511140500');
    expect(archiveHour('x/y=2025/m=1/d=2/h=3/PT1H.json')).toBe('202501020300');
    expect(archiveHour('C:\\logs\\y=2025\\m=11\\d=14\\h=23\\m=00\\PT1H.json')).toBe('202511142300');
    expect(archiveHour('/data/day=2025-11-14/a.json')).toBeNull();
    expect(archiveHour('/data/xy=2025/m=11/d=14/h=05/a.json')).toBeNull();
  });
});

describe('replayOrder', () => {
  it('interleaves categories hour by hour, not one category after the other as name order does', () => {
    const byName = [at('auditevent', 14, 5), at('auditevent', 14, 6), at('auditevent', 15, 0), at('storageread', 14, 5), at('storageread', 14, 6)];
    expect(replayOrder(byName)).toEqual([
      at('auditevent', 14, 5), at('storageread', 14, 5),
      at('auditevent', 14, 6), at('storageread', 14, 6),
      at('auditevent', 15, 0),
    ]);
  });

  it('puts files outside the layout first, in the order listed, and does not depend on the input order of archive files', () => {
    const files = ['/b/export.json', at('storageread', 14, 5), '/a/fixture.ndjson', at('auditevent', 14, 5)];
    expect(replayOrder(files)).toEqual(['/b/export.json', '/a/fixture.ndjson', at('auditevent', 14, 5), at('storageread', 14, 5)]);
    expect(replayOrder([...files].reverse()).slice(2)).toEqual([at('auditevent', 14, 5), at('storageread', 14, 5)]);
    expect(replayOrder(['/z.json', '/a.json'])).toEqual(['/z.json', '/a.json']);
  });
});
