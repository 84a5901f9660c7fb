/** The investigation console: alerts, principals, resources and SQL, one view per route. */
import { render } from 'preact';
import { href, useRoute } from './route';
import './style.css';
import { AlertView } from './views/Alert';
import { AlertsView } from './views/Alerts';
import { PrincipalView } from './views/Principal';
import { ResourceView } from './views/Resource';
import { SqlView } from './views/Sql';

const NAV = [
  ['/alerts', 'Alerts'],
  ['/principal', 'Principal'],
  ['/resource', 'Resources'],
  ['/sql', 'SQL'],
] as const;

function App() {
  const route = useRoute();
  const section = route.path.startsWith('/alert/') ? '/alerts' : route.path;
  return (
    <>
      <header class="top">
        <span class="brand">auditlake</span>
        <nav>
          {NAV.map(([path, label]) => <a key={path} href={href(path)} class={section === path ? 'active' : ''}>{label}</a>)}
        </nav>
        <form method="post" action="/logout"><button type="submit" class="link">Sign out</button></form>
      </header>
      <main>{view(route)}</main>
    </>
  );
}

function view(route: ReturnType<typeof useRoute>) {
  if (route.path.startsWith('/alert/')) return <AlertView id={decodeURIComponent(route.path.slice('/alert/'.length))} />;
  switch (route.path) {
    case '/principal': return <PrincipalView route={route} />;
    case '/resource': return <ResourceView route={route} />;
    case '/sql': return <SqlView route={route} />;
    default: return <AlertsView route={route} />;
  }
}

render(<App />, document.getElementById('app')!);
