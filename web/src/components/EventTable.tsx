/** Events as rows: the columns a view asks for, with resources and principals as links. */
import type { ComponentChildren } from 'preact';
import type { EventRow } from '../api';
import { bytes, resourceName, resourceRoot, time } from '../format';
import { href } from '../route';

export type EventColumn = 'time' | 'family' | 'principal' | 'operation' | 'result' | 'caller_ip' | 'resource' | 'target' | 'auth_type' | 'bytes_out';

const HEADERS: Record<EventColumn, string> = {
  time: 'Time (UTC)', family: 'Family', principal: 'Principal', operation: 'Operation', result: 'Result',
  caller_ip: 'IP', resource: 'Resource', target: 'Target', auth_type: 'Auth', bytes_out: 'Bytes out',
};

function cell(e: EventRow, c: EventColumn): ComponentChildren {
  switch (c) {
    case 'time': return <span class="nowrap">{time(e.time)}</span>;
    case 'family': return <span class={`family family-${e.family}`}>{e.family}{e.role === 'subject' ? ' (to them)' : ''}</span>;
    case 'principal': {
      const p = e.principal_id ?? e.principal_name;
      return p ? <a href={href('/principal', { p })}>{e.principal_name ?? e.principal_id}</a> : '';
    }
    case 'operation': return <span class="mono">{e.operation}</span>;
    case 'result': return <span class={e.result === 'failure' ? 'fail' : ''}>{e.result}</span>;
    case 'caller_ip': return e.caller_ip ?? '';
    case 'resource': return e.resource_id ? <a href={href('/resource', { id: resourceRoot(e.resource_id) })} title={e.resource_id}>{e.resource_name ?? resourceName(e.resource_id)}</a> : '';
    case 'target': return <span class="target" title={e.target ?? ''}>{[e.role_name, e.target].filter(Boolean).join(' → ')}</span>;
    case 'auth_type': return e.auth_type ?? '';
    case 'bytes_out': return e.bytes_out ? bytes(e.bytes_out) : '';
  }
}

export function EventTable({ rows, columns, testId }: { rows: EventRow[]; columns: EventColumn[]; testId?: string }) {
  if (rows.length === 0) return <p class="muted">No events.</p>;
  return (
    <div class="scroll">
      <table class="grid" data-testid={testId}>
        <thead><tr>{columns.map((c) => <th key={c} class={c === 'bytes_out' ? 'num' : ''}>{HEADERS[c]}</th>)}</tr></thead>
        <tbody>
          {rows.map((e) => (
            <tr key={e.event_id} data-event-id={e.event_id} class={e.result === 'failure' ? 'failed' : ''}>
              {columns.map((c) => <td key={c} class={c === 'bytes_out' ? 'num' : ''}>{cell(e, c)}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
