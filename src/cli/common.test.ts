/** Where the database is, and the whole-number flags: pure functions, so tested here rather than through the CLI. */
import { afterEach, describe, expect, it } from 'vitest';
import { positiveInt, resolveDb } from './common.js';

describe('resolveDb', () => {
  const saved = process.env.AUDITLAKE_DB;
  afterEach(() => {
    if (saved === undefined) delete process.env.AUDITLAKE_DB;
    else process.env.AUDITLAKE_DB = saved;
  });

  it('takes --db, else $AUDITLAKE_DB, else the config file\'s db, else ./auditlake.duckdb', () => {
    process.env.AUDITLAKE_DB = 'env.duckdb';
    expect(resolveDb('flag.duckdb', 'config.duckdb')).toBe('flag.duckdb');
    expect(resolveDb(undefined, 'config.duckdb')).toBe('env.duckdb');
    delete process.env.AUDITLAKE_DB;
    expect(resolveDb(undefined, 'config.duckdb')).toBe('config.duckdb');
    expect(resolveDb(undefined)).toBe('./auditlake.duckdb');
  });

  it('reads an empty $AUDITLAKE_DB as unset, not as DuckDB\'s in-memory database', () => {
    process.env.AUDITLAKE_DB = '';
    expect(resolveDb(undefined, 'config.duckdb')).toBe('config.duckdb');
    expect(resolveDb(undefined)).toBe('./auditlake.duckdb');
  });

  it('refuses an empty or :memory: --db, and a :memory: $AUDITLAKE_DB, naming where it came from', () => {
    delete process.env.AUDITLAKE_DB;
    for (const db of ['', '  ', ':memory:', ':MEMORY:', ':memory:named']) {
      expect(() => resolveDb(db)).toThrow(expect.objectContaining({ code: 'bad_argument', message: expect.stringContaining(`--db '${db}'`) }));
    }
    process.env.AUDITLAKE_DB = ':memory:';
    expect(() => resolveDb(undefined)).toThrow(/\$AUDITLAKE_DB ':memory:'/);
  });
});

describe('positiveInt', () => {
  const workers = positiveInt('--workers', { min: 0, max: 64 });

  it('takes digits within the bounds', () => {
    expect(workers('0')).toBe(0);
    expect(workers('64')).toBe(64);
    expect(workers(' 8 ')).toBe(8);
    expect(positiveInt('--n')('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses what Number() would have taken, and anything out of bounds, naming the flag and the bounds', () => {
    for (const v of ['', ' ', '0x2', '1e3', '2.0', '-1', '+3', '65', 'four']) {
      expect(() => workers(v)).toThrow(expect.objectContaining({ code: 'bad_argument', message: `--workers '${v}': expected a whole number, 0 to 64` }));
    }
    expect(() => positiveInt('--max-rows', { min: 1 })('0')).toThrow("--max-rows '0': expected a whole number, 1 or more");
  });
});
