/** The alerts list: most severe and most recent first, filtered by severity, detector, principal and time. */
import { useState } from 'preact/hooks';
import { apiPath, useApi, type AlertList } from '../api';
import { ErrorBox, Loading, SeverityBadge } from '../components/ui';
import { count, fromInput, resourceName, time, toInput } from '../format';
import { href, navigate, type Route } from '../route';

const FILTERS = ['severity', 'detector', 'principal', 'from', 'to', 'suppressed'] as const;

export function AlertsView({ route }: { route: Route }) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, route.params.get(k) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const offset = Number(route.params.get('offset') ?? 0);
  const { data, error, loading } = useApi<AlertList>(apiPath('/api/alerts', { ...filters, offset }));
  const set = (change: Partial<typeof filters>) => navigate('/alerts', { ...filters, ...change });
  return (
    <div>
      <h1>{filters.suppressed ? 'Suppressed alerts' : 'Alerts'}</h1>
      <Filters key={route.params.toString()} filters={filters} detectors={data?.detectors ?? []} onChange={set} />
      {error && <ErrorBox error={error} />}
      {!data && loading && <Loading what="alerts" />}
      {data && (
        <>
          <p class="muted" data-testid="alert-count">
            {data.total === 0 ? 'No alerts match.' : `${count(data.total)} alert${data.total === 1 ? '' : 's'}${data.total > data.pageRows ? `, showing ${offset + 1}–${Math.min(offset + data.pageRows, data.total)}` : ''}.`}
            {' '}
            {filters.suppressed
              ? <>Kept apart by detector exceptions (auditlake.yaml, <span class="mono">detectors.exceptions</span>) and sent to no sink. <a href={href('/alerts', { ...filters, suppressed: '', offset: 0 })}>Raised alerts</a></>
              : data.suppressed > 0 && <a data-testid="suppressed-link" href={href('/alerts', { ...filters, suppressed: '1', offset: 0 })}>{count(data.suppressed)} suppressed by detector exceptions</a>}
          </p>
          <table class="grid clickable" data-testid="alerts-table">
            <thead>
              <tr><th>Severity</th><th>Detector</th><th>Alert</th><th>Principal</th><th>Resource</th><th>First event</th><th>Last event</th><th class="num">Events</th>{filters.suppressed && <th>Exception</th>}</tr>
            </thead>
            <tbody>
              {data.alerts.map((a) => (
                <tr key={a.alert_id} data-alert-id={a.alert_id} onClick={() => navigate(`/alert/${a.alert_id}`)}>
                  <td><SeverityBadge severity={a.severity} /></td>
                  <td class="mono">{a.detector_id}</td>
                  <td><a href={href(`/alert/${a.alert_id}`)}>{a.title}</a></td>
                  <td>{a.principal_name ?? a.principal_id ?? a.caller_ip ?? ''}</td>
                  <td title={a.resource_id ?? ''}>{resourceName(a.resource_id)}</td>
                  <td class="nowrap">{time(a.first_event_time)}</td>
                  <td class="nowrap">{time(a.last_event_time)}</td>
                  <td class="num">{count(a.event_count)}</td>
                  {filters.suppressed && <td>{a.suppressed_by}</td>}
                </tr>
              ))}
            </tbody>
          </table>
          <div class="pager">
            {offset > 0 && <a href={href('/alerts', { ...filters, offset: Math.max(0, offset - data.pageRows) })}>← previous</a>}
            {offset + data.pageRows < data.total && <a href={href('/alerts', { ...filters, offset: offset + data.pageRows })}>next →</a>}
          </div>
        </>
      )}
    </div>
  );
}

interface FiltersProps {
  filters: Record<(typeof FILTERS)[number], string>;
  detectors: { detector_id: string; alerts: number }[];
  onChange: (change: Record<string, string>) => void;
}

function Filters({ filters, detectors, onChange }: FiltersProps) {
  const [principal, setPrincipal] = useState(filters.principal);
  const [from, setFrom] = useState(toInput(filters.from));
  const [to, setTo] = useState(toInput(filters.to));
  return (
    <form class="filters" onSubmit={(e) => { e.preventDefault(); onChange({ principal, from: fromInput(from), to: fromInput(to) }); }}>
      <label>Severity
        <select name="severity" value={filters.severity} onChange={(e) => onChange({ severity: e.currentTarget.value })}>
          <option value="">any</option>
          <option value="low">low and above</option>
          <option value="medium">medium and above</option>
          <option value="high">high</option>
        </select>
      </label>
      <label>Detector
        <select name="detector" value={filters.detector} onChange={(e) => onChange({ detector: e.currentTarget.value })}>
          <option value="">any</option>
          {detectors.map((d) => <option key={d.detector_id} value={d.detector_id}>{d.detector_id} ({d.alerts})</option>)}
        </select>
      </label>
      <label>Principal or IP
        <input name="principal" type="search" value={principal} placeholder="name, object id or IP" onInput={(e) => setPrincipal(e.currentTarget.value)} />
      </label>
      <label>From <input name="from" type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} /></label>
      <label>to <input name="to" type="datetime-local" value={to} onInput={(e) => setTo(e.currentTarget.value)} /></label>
      <button type="submit">Filter</button>
      <a href={href('/alerts')}>clear</a>
    </form>
  );
}
