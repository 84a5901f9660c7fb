/**
 * Where the page is, in the URL's fragment (`#/principal?p=…`): links can be shared and the
 * back button works, and the server only ever serves `/` (the fragment never reaches it).
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** e.g. `/alerts`, `/alert/<id>` */
  path: string;
  params: URLSearchParams;
}

function current(): Route {
  const hash = window.location.hash.replace(/^#/, '') || '/alerts';
  const q = hash.indexOf('?');
  return { path: q < 0 ? hash : hash.slice(0, q), params: new URLSearchParams(q < 0 ? '' : hash.slice(q + 1)) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const onChange = () => setRoute(current());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** `#/path?k=v` for an <a href>; empty values are left out. */
export function href(path: string, params: Record<string, string | number | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function navigate(path: string, params: Record<string, string | number | null | undefined> = {}): void {
  window.location.hash = href(path, params);
}
