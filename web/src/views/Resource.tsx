/** A vault, storage account or workspace: who accessed it, how, on what, and how much. */
import { apiPath, useApi, type ResourceSummary, type ResourceView as View } from '../api';
import { HourlyChart } from '../components/Chart';
import { ErrorBox, Facts, Loading, NewBadge, Section, WindowPicker } from '../components/ui';
import { bytes, count, time } from '../format';
import { href, navigate, type Route } from '../route';

const countLabel = (n: number) => count(Math.round(n * 10) / 10);

export function ResourceView({ route }: { route: Route }) {
  const id = route.params.get('id') ?? '';
  if (!id) return <ResourceList />;
  return <Resource id={id} from={route.params.get('from') ?? ''} to={route.params.get('to') ?? ''} />;
}

function ResourceList() {
  const { data, error } = useApi<{ resources: ResourceSummary[] }>('/api/resources');
  return (
    <div>
      <h1>Resources</h1>
      {error && <ErrorBox error={error} />}
      {!data && !error && <Loading what="resources" />}
      {data && (
        <table class="grid" data-testid="resources-table">
          <thead><tr><th>Resource</th><th>Type</th><th class="num">Events</th><th class="num">Bytes out</th><th>First seen</th><th>Last seen</th></tr></thead>
          <tbody>
            {data.resources.map((r) => (
              <tr key={r.resource_id}>
                <td><a href={href('/resource', { id: r.resource_id })} title={r.resource_id}>{r.resource_name}</a></td>
                <td class="muted">{r.resource_type}</td>
                <td class="num">{count(r.events)}</td><td class="num">{bytes(r.bytes_out)}</td>
                <td class="nowrap">{time(r.first_seen)}</td><td class="nowrap">{time(r.last_seen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Resource({ id, from, to }: { id: string; from: string; to: string }) {
  const { data, error, loading } = useApi<View>(apiPath('/api/resource', { id, from, to }));
  if (error) return <ErrorBox error={error} />;
  if (!data) return <Loading what="the resource" />;
  const { resource: r, window: w, hourly } = data;
  return (
    <div class={loading ? 'stale' : ''} data-testid="resource-view">
      <p><a href={href('/resource')}>← Resources</a></p>
      <h1>{r.resource_name}</h1>
      <Facts items={[['Type', r.resource_type], ['Id', <span class="mono">{r.resource_id}</span>], ['First seen', time(r.first_seen)], ['Last seen', time(r.last_seen)], ['Events (all time)', count(r.events)]]} />
      <WindowPicker key={`${w.from}|${w.to}`} from={w.from} to={w.to} onChange={(x) => navigate('/resource', { id, ...x })} />
      <div class="charts">
        <HourlyChart title="Requests per hour" points={hourly.points} value="events" format={countLabel} testId="chart-events" />
        <HourlyChart title="Egress bytes per hour" points={hourly.points} value="bytes_out" format={bytes} testId="chart-bytes" />
      </div>
      <Section title="Who accessed it" testId="resource-callers">
        <table class="grid">
          <thead><tr><th>Caller</th><th>Type</th><th>Auth</th><th class="num">IPs</th><th class="num">Requests</th><th class="num">Failed</th><th class="num">Bytes out</th><th>First seen here</th></tr></thead>
          <tbody>
            {data.callers.map((c) => (
              <tr key={c.caller}>
                <td><a href={href('/principal', { p: c.caller, from: w.from, to: w.to })}>{c.principal_name ?? c.caller}</a> <NewBadge show={c.is_new} /></td>
                <td class="muted">{c.principal_id || c.principal_name ? c.principal_type : 'no principal (IP)'}</td>
                <td>{(c.auth_types ?? []).join(', ')}</td>
                <td class="num">{count(c.ips)}</td><td class="num">{count(c.events)}</td><td class="num">{count(c.failures)}</td>
                <td class="num">{bytes(c.bytes_out)}</td><td class="nowrap">{time(c.first_seen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <div class="columns">
        <Section title="How: operations by authentication">
          <table class="grid">
            <thead><tr><th>Operation</th><th>Auth</th><th class="num">Requests</th><th class="num">Failed</th><th class="num">Callers</th><th class="num">Bytes out</th></tr></thead>
            <tbody>
              {data.operations.map((o) => (
                <tr key={`${o.operation}|${o.auth_type}`}>
                  <td class="mono">{o.operation}</td><td>{o.auth_type ?? ''}</td><td class="num">{count(o.events)}</td>
                  <td class="num">{count(o.failures)}</td><td class="num">{count(o.callers)}</td><td class="num">{bytes(o.bytes_out)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
        <Section title="On what: secrets, keys, blobs">
          <table class="grid">
            <thead><tr><th>Target</th><th class="num">Requests</th><th class="num">Callers</th><th class="num">Bytes out</th></tr></thead>
            <tbody>
              {data.targets.map((t) => (
                <tr key={t.target}>
                  <td class="target" title={t.operations.join(', ')}>{t.target}</td><td class="num">{count(t.events)}</td>
                  <td class="num">{count(t.callers)}</td><td class="num">{bytes(t.bytes_out)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      </div>
    </div>
  );
}
