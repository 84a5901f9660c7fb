/**
 * No secret is stored: records carrying secrets in the shapes the audit found (URL-encoded SAS
 * in a URL, JSON and single-quoted key/value pairs, odd casings, JSON escapes, Bearer with a tab,
 * a function key in a query string) go through the real CLI's replay, and no stored byte — `raw`,
 * `details`, `target` or any other column, nor `rejects` — holds one.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replay, queryJson, tempDir, writeFile } from './support/db.js';

const tmp = tempDir('auditlake-redaction-');
afterAll(() => tmp.cleanup());

/** A StorageWrite record as Azure writes it, with `extra` merged into its properties. */
function storageRecord(n: number, extra: Record<string, unknown>, uri = 'https://acct.blob.core.windows.net/c/b?comp=metadata'): Record<string, unknown> {
  return {
    time: `2025-11-14T05:00:${String(n).padStart(2, '0')}.0000000Z`,
    resourceId: '/subscriptions/5a1f0c7e-3b2d-4e8f-9a61-0c2b7d4e1f90/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default',
    category: 'StorageWrite', operationName: 'PutBlob', operationVersion: '2023-11-03', schemaVersion: '1.0',
    statusCode: 201, statusText: 'Success', durationMs: 4, callerIpAddress: '203.0.113.7:443', correlationId: `c${n}`,
    identity: { type: 'SAS' }, location: 'westeurope',
    properties: { accountName: 'acct', serviceType: 'blob', objectKey: `/acct/c/b${n}`, tlsVersion: 'TLS 1.2', ...extra },
    uri, protocol: 'HTTPS', resourceType: 'Microsoft.Storage/storageAccounts/blobServices',
  };
}

const line = (r: Record<string, unknown>) => JSON.stringify(r);

describe('secrets at ingest', () => {
  it('stores none of them in any column of events or rejects', () => {
    const lines = [
      line(storageRecord(1, {}, 'https://acct.blob.core.windows.net/c/b?comp=copy&src=https%3A%2F%2Fo.blob.core.windows.net%2Fc%2Fb%3Fsv%3D2022%26sig%3DSECRETSIG2enc')),
      line(storageRecord(2, { clientSecret: 'SECRETCLIENT3', password: 'SECRETPW4' })),
      line(storageRecord(3, { conn: 'DefaultEndpointsProtocol=https;accountName=a;Accountkey=SECRETKEY5+/==', b: 'ACCOUNTKEY=SECRETUP11' })),
      line(storageRecord(4, { tok: 'access_token=SECRETOPAQUE8&x=1', hdr2: 'Bearer\tSECRETTAB9', sql: 'Server=tcp:x;User ID=u;Pwd=SECRETPWD12;' })),
      line(storageRecord(5, { k: "{'accountKey': 'SECRETJSONKEY13'}", fn: 'https://f.azurewebsites.net/api/h?code=SECRETFUNC15' })),
      // JSON escapes as some writers emit them: the separator and part of the value escaped.
      line(storageRecord(6, { conn: 'AccountName=a;AccountKey=ab+SECRETKEY14/xyz==;EndpointSuffix=core.windows.net' }, 'https://acct.blob.core.windows.net/c/b?sv=2022&sig=SECRETSIG14'))
        .replace('ab+SECRET', 'ab\\u002BSECRET').replace('/xyz==', '\\/xyz==').replace('&sig=', '\\u0026sig\\u003d'),
      // The secret in the blob path: `target` is derived from it.
      line(storageRecord(7, { objectKey: '/acct/c/b7?sig=SECRETTARGET16' })),
      // Not JSON: kept in rejects, redacted.
      '{"time": "2025-11-14T05:00:08Z", "conn": "Accountkey=SECRETREJECT17',
    ];
    const dir = join(tmp.dir, 'in');
    mkdirSync(dir, { recursive: true });
    writeFile(dir, 'a.ndjson', `${lines.join('\n')}\n`);
    writeFile(dir, 'b.json', JSON.stringify({ records: [storageRecord(9, { hdr: 'Authorization: Basic U0VDUkVUQkFTSUM2', 'x-api-key': 'SECRETAPIKEY18' })] }));
    const db = join(tmp.dir, 'sec.duckdb');

    const summary = replay(db, [dir]);
    expect(summary).toMatchObject({ stored: 8, rejected: 1 });

    const events = queryJson(db, 'SELECT * FROM events ORDER BY time');
    const rejects = queryJson(db, 'SELECT * FROM rejects');
    const stored = JSON.stringify([events, rejects]);
    expect(stored.match(/SECRET[A-Za-z0-9]*|U0VDUkVU[A-Za-z0-9]*/g) ?? []).toEqual([]);
    // Redacted in place, not dropped: the rest of each value is still there.
    expect(stored).toContain('%26sig%3DREDACTED');
    expect(stored).toContain('Authorization: Basic REDACTED');
    expect(stored).toContain('Accountkey=REDACTED');
    expect(events.map((e) => e.target)).toContain('/acct/c/b7?sig=REDACTED');
    expect(rejects).toHaveLength(1);
  });
});
