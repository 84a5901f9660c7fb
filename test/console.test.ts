/**
 * The investigation console end to end: the labelled scenario (fixtures/scenarios) replayed by
 * the real CLI, `auditlake serve` as a subprocess, and the page driven in headless Chromium
 * (Debian's, through playwright-core). The alerts list shows the alerts table; an alert opens
 * its evidence events; the attacker's timeline holds the attack's events; the resource view
 * lists who touched a vault; the SQL console runs a saved query with a parameter and downloads
 * the same CSV `auditlake query` prints, and Parquet that DuckDB reads back. Screenshots of
 * each view go to docs/screenshots/. Without the token nothing answers; with it, nothing the
 * console sends can write. And `auditlake run` serves the same console.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectors } from '../src/detectors/index.js';
import { repoRoot, runCliAsync } from './support/cli.js';
import { replayAsync, tempDir, type Row } from './support/db.js';
import { startEventHubsPeer, type EventHubsPeer } from './support/eventhubs-peer.js';
import { startServe, type Served } from './support/serve.js';
import { startRun, writeConfig } from './support/service.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(repoRoot, 'docs', 'screenshots');
const KWAME = { id: '3d5f7b9c-1e3a-4d6f-8b8c-0d2f4b6e8a4d', upn: 'adm-kwame.owusu@contoso-research.example', ip: '198.51.100.201' };
/** Attacks j, g, h, i, p and r of the scenario: one admin account, 02:39–03:27 on day 8. */
const KWAME_ATTACKS = { from: '2025-11-10T02:39:12Z', to: '2025-11-10T03:26:46Z' };
const DAY_8 = { from: '2025-11-10T00:00:00.000Z', to: '2025-11-11T00:00:00.000Z' };
const VAULT = '/subscriptions/b7d3f1a9-6c2e-4d8b-9f05-1a3c5e7b9d24/resourcegroups/rg-research-apps/providers/microsoft.keyvault/vaults/kv-research-apps';

const tmp = tempDir('auditlake-console-');
const db = join(tmp.dir, 'scenario.duckdb');
let served: Served & { token: string };
let browser: Browser;
let page: Page;
let alerts: Row[];
let cliCsv: string;
let reference: DuckDBConnection;

/** The database as the test itself reads it (read-only, beside the server's own read-only open). */
async function sql(text: string): Promise<Row[]> {
  const r = await reference.runAndReadAll(text);
  return r.getRowObjectsJS() as Row[];
}

/** `auditlake serve --db` as a subprocess, with its token. */
async function serve(path: string): Promise<Served & { token: string }> {
  const served = await startServe(['--db', path, '--port', '0']);
  expect(served.stderr()).toContain(`${path}.token`);
  const token = readFileSync(`${path}.token`, 'utf8').trim();
  expect(served.stderr()).not.toContain(token); // the token file is named; the token itself is never printed
  return { ...served, token };
}

/** Signs the page in the way an operator's link does, and checks the token left the address bar. */
async function signIn(p: Page, url: string, token: string): Promise<void> {
  await p.goto(`${url}/?token=${token}`);
  expect(p.url()).toBe(`${url}/`);
}

const ids = async (p: Page, selector: string, attribute: string) =>
  p.locator(selector).evaluateAll((els, a) => els.map((e) => e.getAttribute(a)!), attribute);

const shot = (p: Page, name: string) => p.screenshot({ path: join(SHOTS, `${name}.png`) });

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const [, launched] = await Promise.all([
    replayAsync(db, ['fixtures/scenarios/days'], { detect: true }),
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
  ]);
  browser = launched;
  const [csv, servedNow, instance] = await Promise.all([
    runCliAsync(['query', '--db', db, 'principal-timeline', '--param', `principal=${KWAME.upn}`, '--format', 'csv']),
    serve(db),
    DuckDBInstance.create(db, { access_mode: 'READ_ONLY' }),
  ]);
  expect(csv.code).toBe(0);
  cliCsv = csv.stdout;
  served = servedNow;
  reference = await instance.connect();
  alerts = (await sql("SELECT alert_id, detector_id, principal_id, CAST(evidence->'event_ids' AS VARCHAR[]) AS event_ids FROM alerts ORDER BY alert_id"));
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  // A browser without a session gets the sign-in page, and nothing else.
  const first = await page.goto(`${served.url}/`);
  expect(first!.status()).toBe(401);
  await page.locator('input[name=token]').waitFor();
  await page.screenshot({ path: join(SHOTS, 'sign-in.png'), clip: { x: 0, y: 0, width: 1440, height: 520 } });
  await signIn(page, served.url, served.token);
});

afterAll(async () => {
  reference?.closeSync();
  await browser?.close();
  if (served && served.child.exitCode === null) {
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(existsSync(`${db}.server.json`)).toBe(false);
  }
  tmp.cleanup();
});

describe('the console in headless Chromium, on the replayed scenario', () => {
  it('lists the scenario\'s alerts: the rows are the alerts table', async () => {
    expect(alerts.length).toBeGreaterThan(30);
    await page.goto(`${served.url}/#/alerts`);
    await page.waitForSelector('[data-testid=alerts-table] tbody tr');
    const shown = await ids(page, '[data-testid=alerts-table] tbody tr', 'data-alert-id');
    expect([...shown].sort()).toEqual(alerts.map((a) => a.alert_id));
    await shot(page, 'alerts');

    // Filters narrow it, as the table says they should.
    await page.selectOption('select[name=detector]', 'keyvault.list-then-get');
    await expect.poll(() => page.locator('[data-testid=alerts-table] tbody tr').count(), { timeout: 10_000 }).toBe(4);
    const listThenGet = alerts.filter((a) => a.detector_id === 'keyvault.list-then-get').map((a) => a.alert_id);
    expect((await ids(page, '[data-testid=alerts-table] tbody tr', 'data-alert-id')).sort()).toEqual(listThenGet);
  });

  it('opens an alert with its description, ATT&CK techniques and evidence events', async () => {
    const alert = alerts.find((a) => a.detector_id === 'rbac.elevate-access')!;
    await page.goto(`${served.url}/#/alerts?severity=high`);
    await page.click(`tr[data-alert-id="${String(alert.alert_id)}"]`);
    await page.waitForSelector('[data-testid=evidence] tbody tr');
    const evidence = (alert.event_ids as string[]).sort();
    expect((await ids(page, '[data-testid=evidence] tbody tr', 'data-event-id')).sort()).toEqual(evidence);
    const attack = await page.locator('[data-testid=attack]').textContent();
    for (const t of detectors.find((d) => d.id === 'rbac.elevate-access')!.attack) expect(attack).toContain(`${t.id} ${t.name}`);
    await expect(page.locator('[data-testid=alert-detail]').textContent()).resolves.toMatch(/What to do/);

    // A larger piece of evidence for the screenshot: the mass secret read of attack a.
    const mass = alerts.find((a) => a.detector_id === 'keyvault.mass-secret-retrieval' && a.principal_id === '9b1d3f5b-7c9e-4a1b-8f3d-5e7a9b1d3f44')!;
    await page.goto(`${served.url}/#/alert/${String(mass.alert_id)}`);
    await expect.poll(async () => (await ids(page, '[data-testid=evidence] tbody tr', 'data-event-id')).sort(), { timeout: 10_000 })
      .toEqual((mass.event_ids as string[]).sort());
    await shot(page, 'alert');
  });

  it('shows the attacker\'s timeline with every event of the attacks, charts, and the new IP marked', async () => {
    const expected = await sql(`SELECT event_id FROM events
      WHERE (principal_id = '${KWAME.id}' OR principal_name = '${KWAME.upn}') AND time BETWEEN '${KWAME_ATTACKS.from}' AND '${KWAME_ATTACKS.to}'`);
    expect(expected.length).toBeGreaterThanOrEqual(10);
    // As an analyst gets there: from the alert, through its principal link (the alert's day).
    const alert = alerts.find((a) => a.detector_id === 'rbac.elevate-access')!;
    await page.goto(`${served.url}/#/alert/${String(alert.alert_id)}`);
    await page.click(`dd a:has-text("${KWAME.upn}")`);
    await page.waitForSelector('[data-testid=timeline-table] tbody tr');
    const shown = new Set(await ids(page, '[data-testid=timeline-table] tbody tr', 'data-event-id'));
    for (const e of expected) expect(shown, `event ${String(e.event_id)} in the timeline`).toContain(e.event_id);
    const timeline = await page.locator('[data-testid=timeline-table]').textContent();
    expect(timeline).toMatch(/elevateAccess/i);
    expect(await page.locator('[data-testid=chart-events] canvas').count()).toBe(1);
    expect(await page.locator('[data-testid=chart-bytes] canvas').count()).toBe(1);
    const ipRow = page.locator('[data-testid=principal-ips] tr', { hasText: KWAME.ip });
    await expect(ipRow.locator('.new').count()).resolves.toBe(1);
    await page.waitForTimeout(200); // let the charts settle at their width
    await shot(page, 'principal');
  });

  it('shows who accessed a vault, how and how much', async () => {
    const callers = await sql(`SELECT DISTINCT coalesce(principal_id, principal_name, caller_ip) AS caller FROM events
      WHERE (resource_id = '${VAULT}' OR starts_with(resource_id, '${VAULT}/')) AND time >= '${DAY_8.from}' AND time < '${DAY_8.to}'`);
    await page.goto(`${served.url}/#/resource`);
    await page.click('[data-testid=resources-table] a:has-text("kv-research-apps")');
    await page.waitForSelector('[data-testid=resource-callers] tbody tr');
    await page.click('button:has-text("Show")'); // the default window is the day of the last activity: day 8
    await page.waitForSelector('[data-testid=resource-callers] tbody tr');
    expect(await page.locator('[data-testid=resource-callers] tbody tr').count()).toBe(callers.length);
    // The reporting service's key was used from a new address to read the vault in bulk (attack a).
    const text = await page.locator('[data-testid=resource-callers]').textContent();
    expect(text).toContain('svc-research-reporting');
    await page.waitForTimeout(200);
    await shot(page, 'resource');
  });

  it('runs a saved query with a parameter, and downloads the CSV `auditlake query` prints and Parquet DuckDB reads back', async () => {
    const cliRows = cliCsv.trimEnd().split('\r\n').length - 1;
    await page.goto(`${served.url}/#/sql`);
    await page.selectOption('select[name=saved]', 'principal-timeline');
    await page.fill('input[name=param-principal]', KWAME.upn);
    await page.click('button:has-text("Run")');
    await page.waitForSelector('[data-testid=sql-result] tbody tr');
    expect(await page.locator('[data-testid=sql-result] tbody tr').count()).toBe(cliRows);
    await shot(page, 'sql');

    const csv = await download(page, 'Download CSV');
    expect(readFileSync(csv, 'utf8')).toBe(cliCsv);
    const parquet = await download(page, 'Download Parquet');
    const duck = await DuckDBInstance.create(':memory:');
    const conn = await duck.connect();
    const back = await conn.runAndReadAll(`SELECT count(*), count(DISTINCT event_id), min(family) FROM read_parquet('${parquet}')`);
    expect(back.getRowsJS()[0]).toEqual([BigInt(cliRows), BigInt(cliRows), 'activity']);
    conn.closeSync();
    duck.closeSync();
  });
});

async function download(p: Page, button: string): Promise<string> {
  const [file] = await Promise.all([p.waitForEvent('download'), p.click(`button:has-text("${button}")`)]);
  const path = join(tmp.dir, file.suggestedFilename());
  await file.saveAs(path);
  return path;
}

describe('the console\'s alert list', () => {
  it('shows and finds an alert whose principal the detector knew by object id alone by the name Entra ID gives it', async () => {
    const unnamed = await sql(`SELECT a.alert_id, (SELECT arg_max(e.principal_name, e.time) FROM events e WHERE e.principal_id = a.principal_id
        AND e.category IN ('ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs', 'SignInLogs', 'NonInteractiveUserSignInLogs', 'AuditLogs')) AS entra_name
      FROM alerts a WHERE a.principal_name IS NULL AND a.principal_id IS NOT NULL`);
    const named = unnamed.filter((a) => a.entra_name !== null);
    expect(named.length).toBeGreaterThan(0);
    const get = async (query: string) => {
      const r = await fetch(`${served.url}/api/alerts?${query}`, { headers: { Authorization: `Bearer ${served.token}` } });
      expect(r.status).toBe(200);
      return ((await r.json()) as { alerts: Row[] }).alerts;
    };
    const shown = new Map((await get('')).map((a) => [a.alert_id, a.principal_name]));
    for (const a of named) expect(shown.get(a.alert_id), String(a.alert_id)).toBe(a.entra_name);
    // Found by a part of that name, in another case: it is in no column of the alert itself.
    const part = String(named[0]!.entra_name).slice(0, 10).toUpperCase();
    expect((await get(`principal=${encodeURIComponent(part)}`)).map((a) => a.alert_id)).toContain(named[0]!.alert_id);
  });
});

describe('access', () => {
  const asset = () => `/assets/${readdirSync(join(repoRoot, 'dist/web/assets')).find((f) => f.endsWith('.js'))!}`;
  const routes = (): Array<[string, string]> => [
    ['GET', '/'], ['GET', '/index.html'], ['GET', asset()], ['GET', '/api/alerts'], ['GET', `/api/alert?id=${String(alerts[0]!.alert_id)}`],
    ['GET', `/api/principal?p=${KWAME.upn}`], ['GET', '/api/resources'], ['GET', `/api/resource?id=${VAULT}`], ['GET', '/api/queries'],
    ['POST', '/api/sql'], ['POST', '/sql'], ['GET', '/metrics'], ['GET', '/readyz'], ['POST', '/logout'], ['GET', '/nowhere'],
  ];
  const send = (method: string, path: string, headers: Record<string, string> = {}) => fetch(`${served.url}${path}`, {
    method, redirect: 'manual',
    headers: { ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}), ...headers },
    ...(method === 'POST' ? { body: JSON.stringify({ sql: 'SELECT count(*) FROM alerts' }) } : {}),
  });

  it.each([
    ['no token', {}],
    ['a wrong bearer token', { Authorization: `Bearer ${'0'.repeat(64)}` }],
    ['a forged session cookie', { Cookie: 'auditlake_000000000000=abc' }],
    ['the token itself as a cookie', {}],
  ])('refuses every page, asset and API route with %s (401, no data)', async (name, headers: Record<string, string>) => {
    if (name === 'the token itself as a cookie') {
      const cookie = (await send('GET', `/?token=${served.token}`)).headers.get('set-cookie')!.split(';')[0]!;
      headers = { Cookie: `${cookie.split('=')[0]}=${served.token}` };
    }
    for (const [method, path] of routes()) {
      const r = await send(method, path, { Accept: 'text/html', ...headers });
      const body = await r.text();
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(body).not.toMatch(/stresearch|kv-research|kwame|alert_id/i);
    }
  });

  it('exchanges the token for an HttpOnly, SameSite=Strict session cookie, and strips it from the address', async () => {
    const wrong = await send('GET', `/?token=${'f'.repeat(64)}`);
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Sign in');
    const r = await send('GET', `/?token=${served.token}#/alerts`);
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/');
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).not.toContain(served.token);
    const session = cookie.split(';')[0]!;
    expect((await send('GET', '/api/queries', { Cookie: session })).status).toBe(200);
    const page2 = await send('GET', '/', { Cookie: session });
    expect(page2.status).toBe(200);
    expect(page2.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    // The form on the sign-in page does the same.
    const form = await fetch(`${served.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `token=${served.token}` });
    expect(form.status).toBe(303);
    // Each sign-in is a session of its own: a random id the server keeps, not derived from the token.
    const formSession = form.headers.get('set-cookie')!.split(';')[0]!;
    expect(formSession).not.toBe(session);
    expect((await send('GET', '/api/queries', { Cookie: formSession })).status).toBe(200);
  });

  it('cannot write through anything the console sends', async () => {
    const auth = { Authorization: `Bearer ${served.token}` };
    const sql = (body: object, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
      fetch(`${served.url}/api/sql`, { method: 'POST', headers: { ...auth, ...headers }, body: JSON.stringify(body) });
    const count = async () => ((await (await sql({ sql: 'SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM alerts) AS a' })).json()) as { rows: unknown[][] }).rows[0];
    const before = await count();
    for (const statement of [
      "INSERT INTO alerts SELECT * FROM alerts",
      'DELETE FROM events',
      'DROP TABLE alerts',
      'CREATE TABLE x AS SELECT 1',
      `COPY events TO '${join(tmp.dir, 'stolen.csv')}'`,
      `ATTACH '${join(tmp.dir, 'other.duckdb')}' AS other`,
      "SELECT * FROM read_csv('/etc/passwd')",
      'UPDATE alerts SET severity = \'low\'',
      'SELECT 1; DELETE FROM events',
    ]) {
      for (const format of ['json', 'csv', 'parquet']) {
        const r = await sql({ sql: statement, format });
        expect(r.status, `${statement} (${format})`).toBe(403);
        expect(((await r.json()) as { code: string }).code).toBe('refused');
      }
    }
    // Saved queries are found by name only; a path is not a name.
    expect((await sql({ name: '../src/store/migrations/001_init' })).status).toBe(400);
    // A form post from another page cannot send JSON.
    expect((await sql({ sql: 'SELECT 1' }, { 'Content-Type': 'text/plain' })).status).toBe(400);
    expect(await count()).toEqual(before);
    expect(existsSync(join(tmp.dir, 'stolen.csv'))).toBe(false);
    expect(existsSync(join(tmp.dir, 'other.duckdb'))).toBe(false);
  });
});

describe('the console\'s saved queries', () => {
  it('take a window as the command line does, and say what a parameter lacks in the console\'s words', async () => {
    const post = async (body: object) => {
      const r = await fetch(`${served.url}/api/sql`, { method: 'POST', headers: { Authorization: `Bearer ${served.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, body: await r.json() as { rows?: unknown[][]; error?: string } };
    };
    const whole = await post({ name: 'role-assignments', params: {} });
    expect(whole.status).toBe(200);
    const date = String(whole.body.rows![0]![0]).slice(0, 10);
    const onThatDay = whole.body.rows!.filter((r) => String(r[0]).startsWith(date));
    expect(onThatDay.length).toBeLessThan(whole.body.rows!.length);
    const day = await post({ name: 'role-assignments', params: { since: date, until: date } });
    const recent = await post({ name: 'role-assignments', params: { since: '1h' } });
    expect(day.body.rows).toEqual(onThatDay);
    expect(recent.body.rows).toEqual([]);
    const bad = await post({ name: 'role-assignments', params: { since: '7x' } });
    expect(bad).toMatchObject({ status: 400, body: { error: expect.stringMatching(/since 7x: expected a duration like 30m/) } });
    const missing = await post({ name: 'secret-readers', params: {} });
    expect(missing).toMatchObject({ status: 400, body: { error: 'saved query secret-readers needs a value for $secret' } });
  });
});

describe('auditlake run', () => {
  let peer: EventHubsPeer | undefined;
  afterAll(async () => { await peer?.close(); });

  it('serves the same console from its own server, and logs the URL without the token', async () => {
    peer = await startEventHubsPeer({ hubs: { 'insights-logs-auditevent': 1 } });
    const live = join(tmp.dir, 'live.duckdb');
    copyFileSync(db, live);
    const config = writeConfig(tmp.dir, {
      db: live,
      sources: { eventhubs: [{ connectionString: peer.connectionString('insights-logs-auditevent'), hubs: ['insights-logs-auditevent'], maxWaitTimeSeconds: 0.2 }] },
      server: { port: 0, tokenFile: `${live}.token` },
      service: { shutdownTimeoutSeconds: 20 },
    }, 'run.yaml');
    const run = startRun(config);
    try {
      const line = await run.waitForLog((l) => typeof l.console === 'string', 60_000);
      const token = readFileSync(`${live}.token`, 'utf8').trim();
      const url = String(line.console).replace(/\/$/, '');
      const p = await browser.newPage();
      await signIn(p, url, token);
      await p.waitForSelector('[data-testid=alerts-table] tbody tr');
      expect((await ids(p, '[data-testid=alerts-table] tbody tr', 'data-alert-id')).sort()).toEqual(alerts.map((a) => a.alert_id));
      await p.close();
      expect(run.output()).not.toContain(token);
    } finally {
      expect((await run.stop('SIGTERM')).code).toBe(0);
    }
  });
});
