import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

function captured() {
  let text = '';
  const out = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } });
  return { log: createLogger('info', out), text: () => text, lines: () => text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('log lines', () => {
  it("say why an AggregateError (the Event Hubs SDK's give-up) failed, redacted, instead of an empty message", () => {
    const { log, lines } = captured();
    const attempt = new Error('connect ECONNREFUSED 127.0.0.1:5671 (https://a.blob.core.windows.net/c?sv=2024&sig=abcdefSECRET)');
    log.error({ err: new AggregateError([attempt, attempt]) }, 'Source not consuming.');
    const err = lines()[0]!.err as { type: string; message: string };
    expect(err.type).toBe('AggregateError');
    expect(err.message).toContain('connect ECONNREFUSED 127.0.0.1:5671');
    expect(err.message.match(/ECONNREFUSED/g)).toHaveLength(1);
    expect(err.message).not.toContain('abcdefSECRET');
  });

  it('hold nothing a terminal acts on, though an error quotes a peer\'s answer: the same text once parsed', () => {
    const { log, text, lines } = captured();
    const answer = 'HTTP 400: bad \u001b]0;x\u0007 \u009b8m \u202e';
    log.warn({ err: new Error(answer) }, 'Alert delivery failed; will retry.');
    expect(text().trimEnd()).not.toMatch(/[\x00-\x1f\x7f-\x9f\u202a-\u202e]/);
    expect((lines()[0]!.err as { message: string }).message).toBe(answer);
  });
});
