/** One alert: what the detector saw and why it matters, ATT&CK, what to do, and the evidence events. */
import { useApi, type AlertDetail } from '../api';
import { EventTable } from '../components/EventTable';
import { ErrorBox, Facts, Loading, Section, SeverityBadge } from '../components/ui';
import { count, dayWindow, resourceName, resourceRoot, time } from '../format';
import { href } from '../route';

export function AlertView({ id }: { id: string }) {
  const { data, error } = useApi<AlertDetail>(`/api/alert?id=${encodeURIComponent(id)}`);
  if (error) return <ErrorBox error={error} />;
  if (!data) return <Loading what="the alert" />;
  const { alert: a, detector, events } = data;
  const days = dayWindow(a.first_event_time, a.last_event_time);
  const who = a.principal_id ?? a.principal_name;
  const facts = Object.entries(a.evidence);
  return (
    <article data-testid="alert-detail">
      <p><a href={href('/alerts')}>← Alerts</a></p>
      <h1><SeverityBadge severity={a.severity} /> {a.title}</h1>
      {a.suppressed_by && <p class="muted" data-testid="suppressed-by">Suppressed by a detector exception, sent to no sink: {a.suppressed_by}</p>}
      <Facts items={[
        ['Detector', <span class="mono">{a.detector_id}</span>],
        ['Principal', who ? <a href={href('/principal', { p: who, ...days })}>{a.principal_name ?? a.principal_id}</a> : null],
        ['Caller IP', a.caller_ip ? <a href={href('/principal', { p: a.caller_ip, ...days })}>{a.caller_ip}</a> : null],
        ['Resource', a.resource_id ? <a href={href('/resource', { id: resourceRoot(a.resource_id), ...days })} title={a.resource_id}>{resourceName(a.resource_id)}</a> : null],
        ['First event', time(a.first_event_time)],
        ['Last event', time(a.last_event_time)],
        ['Events', count(a.event_count)],
        ['Raised', time(a.time_generated)],
      ]} />
      <Section title="What happened"><p>{a.description}</p></Section>
      <Section title="What to do"><p>{a.remediation}</p></Section>
      <Section title="MITRE ATT&CK" testId="attack">
        <ul class="plain">
          {(detector?.techniques ?? a.techniques.map((t) => ({ id: t, name: '', tactics: a.tactics }))).map((t) => (
            <li key={t.id}>
              <a href={`https://attack.mitre.org/techniques/${t.id.replace('.', '/')}/`} target="_blank" rel="noreferrer noopener">{t.id}</a> {t.name}
              <span class="muted"> — {t.tactics.join(', ')}</span>
            </li>
          ))}
        </ul>
      </Section>
      {detector && detector.falsePositives.length > 0 && (
        <Section title="Known false positives"><ul>{detector.falsePositives.map((f) => <li key={f}>{f}</li>)}</ul></Section>
      )}
      {!a.suppressed_by && (
        <details data-testid="exception">
          <summary>Expected? The exception that keeps alerts like this apart</summary>
          <p class="muted">Under <span class="mono">detectors.exceptions</span> in auditlake.yaml, with the reason filled in; the next run or replay applies it. Widen it (a family, a resource group) only as far as meant.</p>
          <pre class="scroll">{data.exception}</pre>
        </details>
      )}
      {facts.length > 0 && (
        <Section title="Why it fired">
          <Facts items={facts.map(([k, v]) => [k.replace(/_/g, ' '), typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)])} />
        </Section>
      )}
      <Section title={`Evidence events (${events.length}${a.event_count > events.length ? ` of ${count(a.event_count)}; the alert keeps up to 50 ids` : ''})`} testId="evidence">
        <EventTable rows={events} columns={['time', 'principal', 'operation', 'result', 'caller_ip', 'resource', 'target', 'auth_type', 'bytes_out']} />
      </Section>
      {data.related.length > 0 && (
        <Section title="Other alerts about this principal">
          <ul class="plain">
            {data.related.map((r) => (
              <li key={r.alert_id}><SeverityBadge severity={r.severity} /> <a href={href(`/alert/${r.alert_id}`)}>{r.title}</a> <span class="muted">{r.detector_id}, {time(r.first_event_time)}</span></li>
            ))}
          </ul>
        </Section>
      )}
    </article>
  );
}
