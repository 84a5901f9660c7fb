/**
 * Read-only SQL: a saved query from queries/ with its parameters, or the analyst's own
 * statement; results as a table, or downloaded as CSV or Parquet. The server guards and limits
 * every statement; a saved query runs as the server's copy unless its text was edited here.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { readJson, request, useApi, type SavedQuery, type SqlResult } from '../api';
import { ErrorBox } from '../components/ui';
import { navigate, type Route } from '../route';

const SHOWN_ROWS = 1000;
/** `$name` outside strings and comments, as the server reads parameters (src/queries.ts). */
const TOKENS = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|\$([A-Za-z_][A-Za-z0-9_]*)/g;

function usedParams(sql: string): string[] {
  const names: string[] = [];
  for (const m of sql.matchAll(TOKENS)) if (m[1] && !names.includes(m[1])) names.push(m[1]);
  return names;
}

export function SqlView({ route }: { route: Route }) {
  const { data, error } = useApi<{ queries: SavedQuery[] }>('/api/queries');
  const name = route.params.get('q') ?? '';
  const saved = data?.queries.find((q) => q.name === name);
  if (error) return <ErrorBox error={error} />;
  return (
    <div>
      <h1>SQL</h1>
      <label class="block">Saved query{' '}
        <select name="saved" value={name} onChange={(e) => navigate('/sql', { q: e.currentTarget.value })}>
          <option value="">— your own SQL —</option>
          {(data?.queries ?? []).map((q) => <option key={q.name} value={q.name}>{q.name}</option>)}
        </select>
      </label>
      {saved && <p class="muted">{saved.description}</p>}
      <Console key={name + String(Boolean(data))} saved={saved} initial={route.params} />
    </div>
  );
}

function Console({ saved, initial }: { saved: SavedQuery | undefined; initial: URLSearchParams }) {
  const [sql, setSql] = useState(saved?.sql ?? 'SELECT category, count(*) AS events\nFROM events\nGROUP BY ALL\nORDER BY events DESC');
  const [values, setValues] = useState<Record<string, string>>(() => Object.fromEntries([...initial].filter(([k]) => k !== 'q')));
  const [result, setResult] = useState<SqlResult | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [ms, setMs] = useState(0);
  const params = useMemo(() => usedParams(sql), [sql]);
  const defaults = Object.fromEntries((saved?.params ?? []).map((p) => [p.name, p.default]));
  const body = (format: string) => JSON.stringify({
    ...(saved && sql === saved.sql ? { name: saved.name } : { sql }),
    params: Object.fromEntries(params.map((p) => [p, values[p] ?? ''])),
    format,
  });
  const post = (format: string) => request('/api/sql', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body(format) });

  async function run() {
    setBusy(true);
    setError('');
    const started = performance.now();
    try {
      setResult(await readJson<SqlResult>(await post('json')));
      setMs(performance.now() - started);
    } catch (err) {
      setResult(null);
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  async function download(format: 'csv' | 'parquet') {
    setError('');
    try {
      const res = await post(format);
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `query.${format}`;
      const url = URL.createObjectURL(await res.blob());
      const a = Object.assign(document.createElement('a'), { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }

  useEffect(() => { setResult(null); }, [saved]);

  return (
    <form class="sql" onSubmit={(e) => { e.preventDefault(); void run(); }}>
      {params.length > 0 && (
        <fieldset class="params">
          <legend>Parameters</legend>
          {params.map((p) => (
            <label key={p}>${p}{' '}
              <input name={`param-${p}`} value={values[p] ?? ''} placeholder={defaults[p] ?? 'required'} onInput={(e) => setValues({ ...values, [p]: e.currentTarget.value })} />
            </label>
          ))}
        </fieldset>
      )}
      <textarea name="sql" spellcheck={false} rows={Math.min(14, Math.max(6, sql.split('\n').length + 1))} value={sql}
        onInput={(e) => setSql(e.currentTarget.value)}
        onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); void run(); } }} />
      <div class="actions">
        <button type="submit" disabled={busy}>{busy ? 'Running…' : 'Run'}</button>
        <button type="button" onClick={() => void download('csv')}>Download CSV</button>
        <button type="button" onClick={() => void download('parquet')}>Download Parquet</button>
        <span class="muted">Ctrl+Enter runs. Read-only: one SELECT over events, alerts, rejects, checkpoints.</span>
      </div>
      {error && <ErrorBox error={error} />}
      {result && <Result result={result} ms={ms} />}
    </form>
  );
}

function Result({ result, ms }: { result: SqlResult; ms: number }) {
  const shown = result.rows.slice(0, SHOWN_ROWS);
  return (
    <div data-testid="sql-result">
      <p class="muted" data-testid="sql-status">
        {result.rows.length} row{result.rows.length === 1 ? '' : 's'} in {Math.round(ms)} ms
        {result.truncated ? ' — cut at the page\'s row limit; download for more' : ''}
        {result.rows.length > SHOWN_ROWS ? `; the first ${SHOWN_ROWS} shown` : ''}.
      </p>
      <div class="scroll">
        <table class="grid">
          <thead><tr>{result.columns.map((c) => <th key={c.name} title={c.type}>{c.name}</th>)}</tr></thead>
          <tbody>
            {shown.map((row, i) => (
              <tr key={i}>{row.map((v, j) => <td key={j}>{v === null ? <span class="null">NULL</span> : typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>)}</tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
