/**
 * `auditlake alerts show`: one alert opened at the terminal, as an analyst follows the demo's own
 * hint — the real CLI as a subprocess over the demo's DuckDB file, locally and through `serve`.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync, type CliResult } from './support/cli.js';
import { tempDir } from './support/db.js';
import { withServe } from './support/serve.js';

const tmp = tempDir('auditlake-alert-show-');
afterAll(() => tmp.cleanup());
const db = join(tmp.dir, 'demo.duckdb');
let demo: CliResult;

interface StoredAlert { alert_id: string; detector_id: string; techniques: string[]; event_ids: string[]; stored_ids: string[] }
let alerts: StoredAlert[];

beforeAll(async () => {
  demo = await runCliAsync(['demo', '--db', db], { timeoutMs: 120_000 });
  // What the database says, read independently of `show`: each alert's evidence ids and which of them are stored.
  const r = await runCliAsync(['query', '--db', db, '--format', 'json', `
    SELECT a.alert_id, a.detector_id, a.techniques, CAST(a.evidence->'$.event_ids' AS VARCHAR[]) AS event_ids,
           list(e.event_id ORDER BY e.event_id) FILTER (WHERE e.event_id IS NOT NULL) AS stored_ids
    FROM alerts a LEFT JOIN events e ON list_contains(CAST(a.evidence->'$.event_ids' AS VARCHAR[]), e.event_id)
    GROUP BY ALL ORDER BY a.alert_id`]);
  expect(r.code, r.stderr).toBe(0);
  alerts = (JSON.parse(r.stdout) as StoredAlert[]).map((a) => ({ ...a, event_ids: a.event_ids ?? [], stored_ids: a.stored_ids ?? [] }));
}, 150_000);

interface IdOnlyAlert { alert_id: string; principal_id: string; caller_ip: string; entra_name: string | null }

/** Alerts whose principal the detector knew by object id alone, with the latest name Entra ID's logs give it, read apart. */
const idOnlyAlerts = () => runCliAsync(['query', '--db', db, '--format', 'json', `
  SELECT a.alert_id, a.principal_id, a.caller_ip, (SELECT arg_max(e.principal_name, e.time) FROM events e WHERE e.principal_id = a.principal_id
      AND e.category IN ('ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs', 'SignInLogs', 'NonInteractiveUserSignInLogs', 'AuditLogs')) AS entra_name
  FROM alerts a WHERE a.principal_name IS NULL AND a.principal_id IS NOT NULL`]);

/** The command a printed hint gives, as arguments after `npx auditlake`. */
function hintArgs(stdout: string, label: RegExp): string[] {
  const line = stdout.split('\n').find((l) => label.test(l));
  expect(line, stdout).toBeDefined();
  const words = line!.replace(label, '').trim().split(/\s+/);
  expect(words.slice(0, 2)).toEqual(['npx', 'auditlake']);
  return words.slice(2).filter((w, i, all) => !w.startsWith('(') && !all.slice(0, i).some((x) => x.startsWith('(')));
}

interface Detail {
  alert: Record<string, unknown> & { alert_id: string; evidence: Record<string, unknown> };
  evidenceEventIds: number;
  events: Array<{ event_id: string }>;
  related: Array<{ alert_id: string }>;
  detector: { id: string; techniques: Array<{ id: string }>; falsePositives: string[] } | null;
}

describe('auditlake alerts show', () => {
  it('opens the alert the demo names, by the short id it prints', async () => {
    expect(demo.code, demo.stderr).toBe(0);
    const args = hintArgs(demo.stdout, /^Open one:/);
    const shortId = args.at(-1)!;
    expect(shortId).toMatch(/^[0-9a-f]{8}$/);
    // The same short id heads one line of the list above it.
    expect(demo.stdout).toMatch(new RegExp(`^  ${shortId}  (high|medium|low|informational) `, 'm'));
    const r = await runCliAsync(args);
    expect(r.code, r.stderr).toBe(0);
    const full = alerts.find((a) => a.alert_id.startsWith(shortId))!;
    expect(r.stdout).toMatch(new RegExp(`^alert_id +${full.alert_id}$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^detector +${full.detector_id.replace('.', '\\.')}$`, 'm'));
    expect(r.stdout).toMatch(/^(HIGH|MEDIUM|LOW|INFORMATIONAL) {2}\S/);
  });

  it('shows every evidence event the database holds, the catalogue entry and the facts without the id list', async () => {
    const a = alerts.filter((x) => x.stored_ids.length > 1).sort((x, y) => y.stored_ids.length - x.stored_ids.length)[0]!;
    const r = await runCliAsync(['alerts', 'show', '--db', db, a.alert_id, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as Detail;
    expect(d.alert.alert_id).toBe(a.alert_id);
    expect(d.events.map((e) => e.event_id).sort()).toEqual(a.stored_ids);
    expect(d.evidenceEventIds).toBe(a.event_ids.length);
    expect(d.alert.evidence).not.toHaveProperty('event_ids');
    expect(d.detector?.id).toBe(a.detector_id);
    expect(d.detector?.techniques.map((t) => t.id)).toEqual(a.techniques);

    const table = await runCliAsync(['alerts', 'show', '--db', db, a.alert_id.slice(0, 12)]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^\\(${a.stored_ids.length} rows[;)]`, 'm'));
    for (const t of a.techniques) expect(table.stdout).toMatch(new RegExp(`^(ATT&CK)? +${t.replace('.', '\\.')} `, 'm'));
    expect(table.stdout).toContain('What to do:');
  });

  it('prints a look-further command that runs and finds the evidence events', async () => {
    const a = alerts.find((x) => x.stored_ids.length > 0 && x.detector_id.startsWith('keyvault.'))!;
    const r = await runCliAsync(['alerts', 'show', '--db', db, a.alert_id]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const command = lines[lines.indexOf('Look further:') + 1]!;
    const args = hintArgs(command, /^ {2}/);
    expect(args).toContain('principal-timeline');
    const timeline = await runCliAsync([...args, '--format', 'json']);
    expect(timeline.code, timeline.stderr).toBe(0);
    const ids = new Set((JSON.parse(timeline.stdout) as Array<{ event_id: string }>).map((e) => e.event_id));
    for (const id of a.stored_ids) expect(ids.has(id), id).toBe(true);
  });

  it('reads the same through the server that holds the database', async () => {
    const a = alerts.find((x) => x.stored_ids.length > 0)!;
    const local = await runCliAsync(['alerts', 'show', '--db', db, a.alert_id, '--format', 'json']);
    await withServe(['--db', db, '--port', '0'], async ({ url }) => {
      const remote = await runCliAsync(['alerts', 'show', '--server', url, '--token-file', `${db}.token`, a.alert_id, '--format', 'json']);
      expect(remote.code, remote.stderr).toBe(0);
      expect(JSON.parse(remote.stdout)).toEqual(JSON.parse(local.stdout));
    });
  });

  it('names in the alerts list a principal the detector knew by object id alone, as Entra ID names it', async () => {
    const [list, held] = await Promise.all([
      runCliAsync(['alerts', '--db', db, '--since', '3650d', '--format', 'json']),
      idOnlyAlerts(),
    ]);
    expect(list.code, list.stderr).toBe(0);
    const shown = new Map((JSON.parse(list.stdout) as Array<{ alert_id: string; principal: string }>).map((a) => [a.alert_id, a.principal]));
    const unnamed = JSON.parse(held.stdout) as IdOnlyAlert[];
    expect(unnamed.filter((a) => a.entra_name !== null).length).toBeGreaterThan(0);
    for (const a of unnamed.filter((x) => x.entra_name !== null)) expect(shown.get(a.alert_id), a.alert_id).toBe(a.entra_name);
  });

  it('lists the alerts about one principal, by a part of its Entra name, its id or its IP, in any case', async () => {
    const byEntra = (JSON.parse((await idOnlyAlerts()).stdout) as IdOnlyAlert[]).find((a) => a.entra_name !== null)!;
    const ids = async (...filter: string[]) => {
      const r = await runCliAsync(['alerts', '--db', db, '--since', '3650d', '--format', 'json', ...filter]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as Array<{ alert_id: string }>).map((a) => a.alert_id).sort();
    };
    // The same alerts by a part of the name only Entra ID gives, upper-cased, as by the object id.
    const part = byEntra.entra_name!.slice(0, 8).toUpperCase();
    const [byName, byId, byIp, none] = await Promise.all([ids('--principal', part), ids('--principal', byEntra.principal_id), ids('--principal', byEntra.caller_ip), ids('--principal', 'no-such-principal')]);
    expect(byName).toContain(byEntra.alert_id);
    expect(byName).toEqual(byId);
    expect(byIp).toContain(byEntra.alert_id);
    expect(none).toEqual([]);
    const pending = await runCliAsync(['alerts', '--db', db, '--pending', '--principal', part]);
    expect(pending.code).toBe(2);
    expect(pending.stderr).toContain('--pending lists every alert a sink has not taken, whatever its severity, detector or principal: give --principal without it');
  });

  it('says which alerts an ambiguous prefix matches, and refuses one that matches none or is not hex', async () => {
    // A one-character prefix that several alerts share.
    const [prefix, shared] = [...'0123456789abcdef'].map((c) => [c, alerts.filter((a) => a.alert_id.startsWith(c))] as const)
      .sort((x, y) => y[1].length - x[1].length)[0]!;
    expect(shared.length).toBeGreaterThan(1);
    const unused = [...'0123456789abcdef'].map((c) => `${c}${c}${c}${c}`).find((p) => !alerts.some((a) => a.alert_id.startsWith(p)))!;
    const [ambiguous, none, notHex] = await Promise.all([
      runCliAsync(['alerts', 'show', '--db', db, prefix]),
      runCliAsync(['alerts', 'show', '--db', db, unused]),
      runCliAsync(['alerts', 'show', '--db', db, 'kv-research']),
    ]);
    expect(ambiguous.code, ambiguous.stderr).toBe(2);
    for (const a of shared.slice(0, 5)) expect(ambiguous.stderr).toContain(a.alert_id);
    expect(ambiguous.stderr).toContain('give more of the id');
    expect(none.code, none.stderr).toBe(1);
    expect(none.stderr).toContain(`alert ${unused}: no alert_id starts with that`);
    expect(notHex.code).toBe(2);
    expect(notHex.stderr).toContain('alert id "kv-research": expected the hex digits of an alert_id');
    for (const r of [ambiguous, none, notHex]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
