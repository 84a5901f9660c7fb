import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AlertRow } from '../detectors/alert.js';
import { createLogger } from '../service/log.js';
import { SinkError } from './sink.js';
import { createStdoutSink, stdoutSchema } from './stdout.js';

function alert(i: number, over: Partial<AlertRow> = {}): AlertRow {
  return {
    alert_id: `alert-${i}`, detector_id: 'rbac.elevate-access', title: 'Elevate access', severity: 'high', tactics: ['PrivilegeEscalation'],
    techniques: ['T1098'], time_generated: Date.UTC(2025, 10, 14, 2), first_event_time: Date.UTC(2025, 10, 14, 1), last_event_time: Date.UTC(2025, 10, 14, 2),
    principal_id: 'oid-1', principal_name: 'mallory@contoso.com', app_id: null, caller_ip: '203.0.113.7', resource_id: '/providers/microsoft.authorization',
    event_count: 1, evidence: { event_ids: ['e1'] }, description: 'd', remediation: 'r', ...over,
  };
}

const never = new AbortController().signal;

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { out, text: () => text };
}

describe('stdout sink', () => {
  it('writes each alert as {"alert": {...}}, told apart from pino log lines on the same stream', async () => {
    const { out, text } = capture();
    const log = createLogger('info', out);
    const sink = createStdoutSink(stdoutSchema.parse({}), { name: 'stdout', log, credential: () => { throw new Error('unused'); } }, out);
    log.info({ alert: 'not-an-alert', count: 2 }, 'Delivering alerts.');
    await sink.send([alert(1), alert(2)], never);
    log.info({}, 'Delivered.');
    const lines = text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    // What `jq -c 'select(.alert.alert_id) | .alert'` keeps:
    const alerts = lines.filter((l) => (l.alert as { alert_id?: string } | undefined)?.alert_id).map((l) => l.alert as Record<string, unknown>);
    expect(alerts.map((a) => a.alert_id)).toEqual(['alert-1', 'alert-2']);
    expect(alerts[0]).toMatchObject({ time_generated: '2025-11-14T02:00:00.000Z', evidence: { event_ids: ['e1'] } });
    expect(Object.keys(lines[1]!)).toEqual(['alert']);
  });

  it('writes one readable line per alert in text format, and filters by severity', async () => {
    const { out, text } = capture();
    const sink = createStdoutSink(stdoutSchema.parse({ format: 'text', minSeverity: 'medium' }), { name: 'stdout', log: createLogger('silent'), credential: () => { throw new Error('unused'); } }, out);
    expect(sink.accepts(alert(1, { severity: 'low' }))).toBe(false);
    await sink.send([alert(1)], never);
    expect(text()).toBe('2025-11-14T02:00:00.000Z HIGH rbac.elevate-access "Elevate access" principal=mallory@contoso.com ip=203.0.113.7 resource=/providers/microsoft.authorization events=1 id=alert-1\n');
  });

  it('writes nothing a terminal acts on in either format: an alert\'s names come from the log', async () => {
    const evil = 'eve\u001b]0;pwned\u0007\u009b8m\u202e@contoso.com';
    for (const format of ['ndjson', 'text'] as const) {
      const { out, text } = capture();
      const sink = createStdoutSink(stdoutSchema.parse({ format }), { name: 'stdout', log: createLogger('silent'), credential: () => { throw new Error('unused'); } }, out);
      await sink.send([alert(1, { principal_name: evil, title: `Elevate access by ${evil}` })], never);
      expect(text().replace(/\n$/, '')).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e]/);
      if (format === 'ndjson') expect((JSON.parse(text()) as { alert: AlertRow }).alert.principal_name).toBe(evil);
      else expect(text()).toContain('principal=eve\\u001b]0;pwned\\u0007\\u009b8m\\u202e@contoso.com');
    }
  });

  it('turns a failed write into a SinkError', async () => {
    const out = new PassThrough();
    out.destroy();
    const sink = createStdoutSink(stdoutSchema.parse({}), { name: 'stdout', log: createLogger('silent'), credential: () => { throw new Error('unused'); } }, out);
    expect(await sink.send([alert(1)], never).catch((e: unknown) => e)).toBeInstanceOf(SinkError);
  });

  it('writes over a real pipe to another process (as `| jq` would read it), every line parsing there', async () => {
    const reader = "let s='';process.stdin.setEncoding('utf8').on('data',d=>s+=d).on('end',()=>"
      + "console.log(s.split('\\n').filter(Boolean).map((l)=>JSON.parse(l).alert.alert_id).join(',')))";
    const child = spawn(process.execPath, ['-e', reader], { stdio: ['pipe', 'pipe', 'inherit'] });
    let answer = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (answer += d));
    const sink = createStdoutSink(stdoutSchema.parse({}), { name: 'stdout', log: createLogger('silent'), credential: () => { throw new Error('unused'); } }, child.stdin);
    await sink.send(Array.from({ length: 1000 }, (_, i) => alert(i)), never);
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
    expect(answer.trim()).toBe(Array.from({ length: 1000 }, (_, i) => `alert-${i}`).join(','));
  });
});
