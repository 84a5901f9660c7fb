/** Small pieces every view uses. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { Severity } from '../api';
import { DAY_MS, fromInput, toInput } from '../format';

export function SeverityBadge({ severity }: { severity: Severity | string }) {
  return <span class={`sev sev-${severity}`}>{severity}</span>;
}

export function NewBadge({ show }: { show: boolean }) {
  return show ? <span class="new" title="first seen within this window">new</span> : null;
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" role="status">Loading {what}…</p>;
}

export function ErrorBox({ error }: { error: string }) {
  return <p class="error" role="alert">{error}</p>;
}

export function Section({ title, children, testId }: { title: string; children: ComponentChildren; testId?: string }) {
  return (
    <section class="section" data-testid={testId}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** Key/value pairs as a definition list. */
export function Facts({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {items.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => (
        <div key={k}><dt>{k}</dt><dd>{v}</dd></div>
      ))}
    </dl>
  );
}

/** From/to in UTC, with presets that keep the end and change the length. */
export function WindowPicker({ from, to, onChange }: { from: string; to: string; onChange: (w: { from: string; to: string }) => void }) {
  const [f, setF] = useState(toInput(from));
  const [t, setT] = useState(toInput(to));
  const preset = (days: number) => {
    const end = Date.parse(to);
    onChange({ from: new Date(end - days * DAY_MS).toISOString(), to: new Date(end).toISOString() });
  };
  return (
    <form class="window" onSubmit={(e) => { e.preventDefault(); onChange({ from: fromInput(f), to: fromInput(t) }); }}>
      <label>From <input type="datetime-local" value={f} onInput={(e) => setF(e.currentTarget.value)} /></label>
      <label>to <input type="datetime-local" value={t} onInput={(e) => setT(e.currentTarget.value)} /></label>
      <span class="muted">UTC</span>
      <button type="submit">Show</button>
      <span class="presets">
        {[1, 3, 7].map((d) => <button type="button" key={d} onClick={() => preset(d)}>{d === 1 ? '24 h' : `${d} days`}</button>)}
      </span>
    </form>
  );
}
