/**
 * One principal (or, for SAS and anonymous callers, one IP): its timeline across every family,
 * operations and egress per hour against its own baseline, and the IPs and resources it used,
 * new ones marked.
 */
import { useState } from 'preact/hooks';
import { apiPath, useApi, type PrincipalView as View } from '../api';
import { HourlyChart } from '../components/Chart';
import { EventTable } from '../components/EventTable';
import { ErrorBox, Facts, Loading, NewBadge, Section, WindowPicker } from '../components/ui';
import { bytes, count, resourceRoot, time } from '../format';
import { href, navigate, type Route } from '../route';

const countLabel = (n: number) => count(Math.round(n * 10) / 10);

export function PrincipalView({ route }: { route: Route }) {
  const p = route.params.get('p') ?? '';
  const from = route.params.get('from') ?? '';
  const to = route.params.get('to') ?? '';
  const offset = Number(route.params.get('offset') ?? 0);
  const { data, error, loading } = useApi<View>(p ? apiPath('/api/principal', { p, from, to, offset }) : null);
  return (
    <div>
      <h1>Principal</h1>
      <PrincipalPicker key={p} value={p} />
      {!p && <p class="muted">Give an object id, a UPN or display name, or an IP (for SAS, account-key and anonymous callers). Alerts link here.</p>}
      {error && <ErrorBox error={error} />}
      {p && !data && loading && <Loading what="the principal" />}
      {data && <Principal data={data} p={p} offset={offset} loading={loading} />}
    </div>
  );
}

function PrincipalPicker({ value }: { value: string }) {
  const [p, setP] = useState(value);
  return (
    <form class="filters" onSubmit={(e) => { e.preventDefault(); navigate('/principal', { p: p.trim() }); }}>
      <label>Principal <input name="p" type="search" value={p} size={44} placeholder="object id, UPN or IP" onInput={(e) => setP(e.currentTarget.value)} /></label>
      <button type="submit">Show</button>
    </form>
  );
}

function Principal({ data, p, offset, loading }: { data: View; p: string; offset: number; loading: boolean }) {
  const { principal: who, window: w, hourly, timeline } = data;
  const go = (change: Record<string, string | number>) => navigate('/principal', { p, from: w.from, to: w.to, ...change });
  return (
    <div class={loading ? 'stale' : ''} data-testid="principal-view">
      <h2 class="subject">{who.names[0] ?? who.ids[0] ?? who.query}</h2>
      <Facts items={[
        ['Kind', who.kind === 'ip' ? 'IP address (every caller from it)' : (who.principal_type ?? 'unknown')],
        ['Names', who.names.join(', ')],
        ['Object ids', who.ids.join(', ')],
        ['First seen', time(who.first_seen)],
        ['Last seen', time(who.last_seen)],
      ]} />
      <WindowPicker key={`${w.from}|${w.to}`} from={w.from} to={w.to} onChange={(x) => go({ ...x, offset: 0 })} />
      <p class="chips">
        {data.families.map((f) => <span key={f.family} class={`family family-${f.family}`}>{f.family}: {count(f.events)}{f.failures > 0 ? ` (${count(f.failures)} failed)` : ''}</span>)}
      </p>
      <p class="muted">
        {hourly.baseline_days > 0 ? `Baseline: the mean of the same hour over the ${hourly.baseline_days} day${hourly.baseline_days === 1 ? '' : 's'} before the window.` : 'No history before this window: no baseline.'}
      </p>
      <div class="charts">
        <HourlyChart title="Operations per hour" points={hourly.points} value="events" format={countLabel} testId="chart-events" />
        <HourlyChart title="Egress bytes per hour" points={hourly.points} value="bytes_out" format={bytes} testId="chart-bytes" />
      </div>
      <div class="columns">
        <Section title="IP addresses" testId="principal-ips">
          <table class="grid">
            <thead><tr><th>IP</th><th class="num">Events</th><th class="num">Bytes out</th><th>First seen</th></tr></thead>
            <tbody>
              {data.ips.map((ip) => (
                <tr key={ip.caller_ip}>
                  <td><a href={href('/principal', { p: ip.caller_ip, from: w.from, to: w.to })}>{ip.caller_ip}</a> <NewBadge show={ip.is_new} /></td>
                  <td class="num">{count(ip.events)}</td><td class="num">{bytes(ip.bytes_out)}</td><td class="nowrap">{time(ip.first_seen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
        <Section title="Resources" testId="principal-resources">
          <table class="grid">
            <thead><tr><th>Resource</th><th>Type</th><th class="num">Events</th><th class="num">Bytes out</th><th>First seen</th></tr></thead>
            <tbody>
              {data.resources.map((r) => (
                <tr key={r.resource_id}>
                  <td><a href={href('/resource', { id: resourceRoot(r.resource_id), from: w.from, to: w.to })} title={r.resource_id}>{r.resource_name ?? r.resource_id}</a> <NewBadge show={r.is_new} /></td>
                  <td class="muted">{(r.resource_type ?? '').replace(/^microsoft\./, '')}</td>
                  <td class="num">{count(r.events)}</td><td class="num">{bytes(r.bytes_out)}</td><td class="nowrap">{time(r.first_seen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      </div>
      <Section title={`Timeline (${count(timeline.total)} events${timeline.total > timeline.pageRows ? `, ${offset + 1}–${Math.min(offset + timeline.pageRows, timeline.total)} shown` : ''})`} testId="timeline">
        <EventTable testId="timeline-table" rows={timeline.rows} columns={['time', 'family', 'operation', 'result', 'caller_ip', 'resource', 'target', 'auth_type', 'bytes_out']} />
        <div class="pager">
          {offset > 0 && <button type="button" onClick={() => go({ offset: Math.max(0, offset - timeline.pageRows) })}>← earlier</button>}
          {offset + timeline.pageRows < timeline.total && <button type="button" onClick={() => go({ offset: offset + timeline.pageRows })}>later →</button>}
        </div>
      </Section>
    </div>
  );
}
