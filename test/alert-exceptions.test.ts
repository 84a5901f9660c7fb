/**
 * `detectors.exceptions`: the demo day's expected noise (the nightly pipeline reading every
 * secret, the workspace identity listing storage keys) declared once in auditlake.yaml, through
 * the real CLI over a real database: kept apart with its reason, sent to no sink, listed on
 * request, and the attacks of the day still raised.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync, type CliResult } from './support/cli.js';
import { queryJsonAsync, tempDir, writeFile } from './support/db.js';
import { withServe } from './support/serve.js';

const tmp = tempDir('auditlake-exceptions-');
afterAll(() => tmp.cleanup());
const db = join(tmp.dir, 'demo.duckdb');
const plainDb = join(tmp.dir, 'plain.duckdb');
const sent = join(tmp.dir, 'alerts.ndjson');
const PIPELINE = '7F9B1D3F-5A7C-4E9B-8D1F-3B5D7F9B1C22'; // the nightly pipeline's object id, upper-cased
const config = writeFile(tmp.dir, 'auditlake.yaml', `
sinks:
  ndjson: [{ path: ${sent} }]
detectors:
  exceptions:
    - detector: keyvault.
      principal: ${PIPELINE}
      reason: nightly deployment pipeline reads every secret (CHG-1234)
    - detector: storage.listkeys-then-key-read
      callerIp: 10.20.4.0/24
      reason: workspace identity lists keys every 6 h
      expires: 2025-11-14T12:00:00Z
`);

let replayed: CliResult;
type Row = Record<string, unknown>;
let raised: Row[];
let quieted: Row[];
let plain: Row[];

beforeAll(async () => {
  const [withExceptions, without] = await Promise.all([
    runCliAsync(['replay', '--config', config, '--db', db, 'fixtures/demo'], { timeoutMs: 120_000 }),
    runCliAsync(['replay', '--db', plainDb, 'fixtures/demo'], { timeoutMs: 120_000 }),
  ]);
  replayed = withExceptions;
  expect(withExceptions.code, withExceptions.stderr).toBe(0);
  expect(without.code, without.stderr).toBe(0);
  const columns = 'alert_id, detector_id, principal_id, caller_ip, last_event_time';
  [raised, quieted, plain] = await Promise.all([
    queryJsonAsync(db, `SELECT ${columns} FROM alerts ORDER BY alert_id`),
    queryJsonAsync(db, `SELECT ${columns}, suppressed_by FROM suppressed_alerts ORDER BY alert_id`),
    queryJsonAsync(plainDb, `SELECT ${columns} FROM alerts ORDER BY alert_id`),
  ]);
}, 150_000);

describe('detector exceptions', () => {
  it('keep the alerts they match apart, with the reason, and raise every other alert as before', () => {
    const pipeline = (a: Row) => String(a.detector_id).startsWith('keyvault.') && a.principal_id === PIPELINE.toLowerCase();
    const workspace = (a: Row) => a.detector_id === 'storage.listkeys-then-key-read' && String(a.caller_ip).startsWith('10.20.4.')
      && Date.parse(String(a.last_event_time)) < Date.parse('2025-11-14T12:00:00Z');
    const expected = plain.filter((a) => pipeline(a) || workspace(a));
    expect(expected.filter(pipeline).length).toBeGreaterThan(0);
    expect(expected.filter(workspace).length).toBeGreaterThan(0);
    expect(quieted.map(({ suppressed_by: _, ...a }) => a)).toEqual(expected);
    expect(quieted.filter(pipeline).map((a) => a.suppressed_by)).toEqual(expected.filter(pipeline).map(() => 'nightly deployment pipeline reads every secret (CHG-1234)'));
    // Everything else is raised as without the exceptions, the same keys' alerts after the expiry included.
    expect(raised).toEqual(plain.filter((a) => !expected.includes(a)));
    expect(raised.some((a) => a.detector_id === 'storage.listkeys-then-key-read')).toBe(true);
  });

  it('go to no sink, and replay says how many it kept apart and why', () => {
    const delivered = readFileSync(sent, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { alert_id: string }).alert_id);
    expect(delivered.sort()).toEqual(raised.map((a) => a.alert_id));
    expect(replayed.stdout).toContain(`Alerts suppressed by detectors.exceptions (kept, sent nowhere; auditlake alerts --suppressed lists them): ${quieted.length}`);
    expect(replayed.stdout).toMatch(/\n\s+\d+ {2}nightly deployment pipeline reads every secret \(CHG-1234\)\n/);
  });

  it('are listed by alerts --suppressed, and alerts show opens one, saying which exception holds it', async () => {
    const id = String(quieted[0]!.alert_id);
    const [listed, shown, json] = await Promise.all([
      runCliAsync(['alerts', '--db', db, '--since', '3650d', '--suppressed', '--format', 'json']),
      runCliAsync(['alerts', 'show', '--db', db, id.slice(0, 8)]),
      runCliAsync(['alerts', 'show', '--db', db, id, '--format', 'json']),
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as Row[]).map((a) => a.alert_id).sort()).toEqual(quieted.map((a) => a.alert_id));
    // The plain list, read by a person, says that some matching alerts are elsewhere.
    const table = await runCliAsync(['alerts', '--db', db, '--since', '3650d']);
    expect(table.stderr).toBe(`auditlake: ${quieted.length} more alerts matching these filters were kept apart by detectors.exceptions (--suppressed lists them)\n`);
    expect((await runCliAsync(['alerts', '--db', plainDb, '--since', '3650d'])).stderr).toBe('');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n')[1]).toBe(`SUPPRESSED by detectors.exceptions, sent to no sink: ${String(quieted[0]!.suppressed_by)}`);
    expect(shown.stdout).toContain(`alert_id   ${id}`);
    expect((JSON.parse(json.stdout) as { alert: Row }).alert.suppressed_by).toBe(quieted[0]!.suppressed_by);
    // A raised alert's report says nothing of it.
    const raisedOne = await runCliAsync(['alerts', 'show', '--db', db, String(raised[0]!.alert_id)]);
    expect(raisedOne.stdout).not.toContain('SUPPRESSED');
  });

  it('the console says how many it kept apart, lists them with the reason, and opens one saying so', async () => {
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      await withServe(['--db', db, '--port', '0'], async (served) => {
        const token = readFileSync(`${db}.token`, 'utf8').trim();
        const api = async (path: string) => (await fetch(`${served.url}${path}`, { headers: { Authorization: `Bearer ${token}` } })).json() as Promise<Row>;
        // One at a time: the server runs two statements at once and answers `busy` past that.
        const list = await api('/api/alerts');
        const apart = await api('/api/alerts?suppressed=1');
        const one = await api(`/api/alert?id=${String(quieted[0]!.alert_id)}`);
        expect(list.suppressed).toBe(quieted.length);
        expect((list.alerts as Row[]).map((a) => a.alert_id).sort()).toEqual(raised.map((a) => a.alert_id));
        expect((apart.alerts as Row[]).map((a) => [a.alert_id, a.suppressed_by]).sort()).toEqual(quieted.map((a) => [a.alert_id, a.suppressed_by]));
        expect((one.alert as Row | undefined)?.suppressed_by, JSON.stringify(one)).toBe(quieted[0]!.suppressed_by);

        const page = await browser.newPage();
        await page.goto(`${served.url}/?token=${token}`);
        await page.goto(`${served.url}/#/alerts`);
        await page.getByTestId('suppressed-link').click();
        await page.getByRole('heading', { name: 'Suppressed alerts' }).waitFor();
        // The list keeps the page's rows until the new answer comes: wait for one of its own.
        await page.locator(`[data-alert-id="${String(quieted[0]!.alert_id)}"]`).waitFor();
        expect(await page.locator('[data-alert-id]').count()).toBe(quieted.length);
        await page.locator(`[data-alert-id="${String(quieted[0]!.alert_id)}"] a`).click();
        expect(await page.getByTestId('suppressed-by').textContent()).toBe(`Suppressed by a detector exception, sent to no sink: ${String(quieted[0]!.suppressed_by)}`);
        // A raised alert offers the exception that would keep it apart, as `alerts show --exception` writes it.
        const id = String(raised[0]!.alert_id);
        await page.goto(`${served.url}/#/alert/${id}`);
        await page.getByTestId('exception').locator('summary').click();
        const shown = await page.getByTestId('exception').locator('pre').textContent();
        const written = await runCliAsync(['alerts', 'show', '--db', db, id, '--exception']);
        expect(written.stdout).toContain(shown!);
        expect(shown).toMatch(/^- detector: "/);
      });
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('hold for alerts raised when detection catches up on events stored without it', async () => {
    const later = join(tmp.dir, 'later.duckdb');
    const stored = await runCliAsync(['replay', '--no-detect', '--db', later, 'fixtures/demo'], { timeoutMs: 120_000 });
    expect(stored.code, stored.stderr).toBe(0);
    // Every record is already stored: the alerts come from detection resuming over them.
    const resumed = await runCliAsync(['replay', '--config', config, '--db', later, 'fixtures/demo'], { timeoutMs: 120_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/stored\s+0\n/);
    const apart = await queryJsonAsync(later, 'SELECT alert_id, suppressed_by FROM suppressed_alerts ORDER BY alert_id');
    expect(apart).toEqual(quieted.map((a) => ({ alert_id: a.alert_id, suppressed_by: a.suppressed_by })));
    expect((await queryJsonAsync(later, 'SELECT alert_id FROM alerts ORDER BY alert_id')).map((a) => a.alert_id)).toEqual(raised.map((a) => a.alert_id));
  }, 150_000);

  it('alerts show --exception writes the entry that keeps an alert like it apart, and that entry does', async () => {
    // The pipeline's mass read of kv-research-apps, raised in the run without exceptions.
    const [target] = await queryJsonAsync(plainDb, "SELECT alert_id FROM alerts WHERE detector_id = 'keyvault.mass-secret-retrieval' AND resource_id LIKE '%/kv-research-apps'");
    const snippet = await runCliAsync(['alerts', 'show', '--db', plainDb, String(target!.alert_id), '--exception']);
    expect(snippet.code, snippet.stderr).toBe(0);
    // By object id, the name Entra ID gives it as a comment: the detector sees the id only.
    expect(snippet.stdout).toMatch(/\n {2}principal: "7f9b1d3f-5a7c-4e9b-8d1f-3b5d7f9b1c22" {3}# ado-contoso-research-deploy\n/);
    const entry = snippet.stdout.replace('TODO: why this is expected (a change or ticket id helps)', 'CHG-99');
    const pasted = writeFile(tmp.dir, 'pasted.yaml', `detectors:\n  exceptions:\n${entry.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n')}`);
    const withEntry = join(tmp.dir, 'pasted.duckdb');
    const r = await runCliAsync(['replay', '--config', pasted, '--db', withEntry, 'fixtures/demo'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(await queryJsonAsync(withEntry, 'SELECT alert_id, suppressed_by FROM suppressed_alerts')).toEqual([{ alert_id: target!.alert_id, suppressed_by: 'CHG-99' }]);
  }, 150_000);

  it('refuse an entry that could never match, before anything is opened, naming the field', async () => {
    const bad = writeFile(tmp.dir, 'bad.yaml', 'detectors:\n  exceptions:\n    - { detector: keyvault.mass-secret-retreival, principal: x, reason: r }\n');
    const fresh = join(tmp.dir, 'never.duckdb');
    const r = await runCliAsync(['replay', '--config', bad, '--db', fresh, 'fixtures/demo']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${bad}: detectors.exceptions[0].detector: 'keyvault.mass-secret-retreival' matches no detector`);
    expect(() => readFileSync(fresh)).toThrow();
  });
});
