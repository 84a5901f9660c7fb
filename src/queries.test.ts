/** Statement counting and near-miss names for `auditlake query`. */
import { describe, expect, it } from 'vitest';
import { closestName, countStatements } from './queries.js';

describe('countStatements', () => {
  it('counts nothing in whitespace and comments', () => {
    for (const sql of ['', '  \n', '-- just a note\n', '/* a\n block */', ';', ' ; ;\n-- x;\n']) expect(countStatements(sql), JSON.stringify(sql)).toBe(0);
  });

  it('counts one statement, with or without a trailing semicolon or comment', () => {
    for (const sql of ['select 1', 'select 1;', 'select 1; -- done; really', '-- name: x\nselect 1\n;\n', "select ';' as s, \"a;b\" from t", 'select $$ a; b $$', 'select 1 /* ; */ + 2', 'select 10/2-1']) {
      expect(countStatements(sql), sql).toBe(1);
    }
  });

  it('counts every statement a semicolon ends', () => {
    expect(countStatements('select 1; select 2')).toBe(2);
    expect(countStatements('select 1;\nselect 2;\n')).toBe(2);
    expect(countStatements("select 'x'; delete from events; select 3")).toBe(3);
  });
});

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
