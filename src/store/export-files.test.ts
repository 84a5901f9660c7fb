import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportFiles } from './export-files.js';

const root = mkdtempSync(join(tmpdir(), 'auditlake-export-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function touch(path: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), '');
}

describe('exportFiles', () => {
  it("lists the layout's files, sorted, and nothing else kept in the folder", async () => {
    for (const f of [
      'category=StorageRead/date=2025-11-15/part-0.parquet',
      'category=AuditEvent/date=2025-11-15/part-0.parquet',
      'category=AuditEvent/date=2025-11-14/part-0.parquet',
      'category=AuditEvent/date=2025-11-14/part-1.parquet',
      // not the layout's
      'summary.parquet',
      'category=AuditEvent/stray.parquet',
      'category=AuditEvent/date=2025-11-14/notes.txt',
      'category=AuditEvent/date=2025-11-14/.part-2.parquet',
      'category=AuditEvent/other/part-0.parquet',
      'backup/date=2025-11-14/part-0.parquet',
    ]) touch(f);
    // A day's folder moved elsewhere and linked back is still the export's
    touch('elsewhere/part-0.parquet');
    symlinkSync(join(root, 'elsewhere'), join(root, 'category=StorageRead/date=2025-11-16'));
    const expected = [
      'category=AuditEvent/date=2025-11-14/part-0.parquet',
      'category=AuditEvent/date=2025-11-14/part-1.parquet',
      'category=AuditEvent/date=2025-11-15/part-0.parquet',
      'category=StorageRead/date=2025-11-15/part-0.parquet',
      'category=StorageRead/date=2025-11-16/part-0.parquet',
    ].map((f) => `${root}/${f}`);
    expect(exportFiles(root)).toEqual(expected);
    expect(exportFiles(`${root}//`)).toEqual(expected);
    // The files DuckDB's glob over the layout finds, less the dot-file
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    const globbed = (await conn.runAndReadAll(`SELECT file FROM glob('${root}/category=*/date=*/*.parquet') ORDER BY file`)).getRows().map((r) => String(r[0]));
    expect(globbed.filter((f) => !f.includes('/.'))).toEqual(expected);
  });

  it('throws for a folder that is not there', () => {
    expect(() => exportFiles(join(root, 'nothing'))).toThrow(/ENOENT/);
  });
});
