import { useEffect, useRef, useState } from 'preact/hooks';
import { api, session } from './api.js';
import { shortId } from './format.js';
import { Login } from './pages/login.js';
import { Files } from './pages/files.js';
import { Messages } from './pages/messages.js';
import { NodePage } from './pages/node.js';
import { Peers } from './pages/peers.js';
import type { NodeStatus } from './types.js';

const PAGES = [
  { id: 'peers', title: 'Peers', view: Peers },
  { id: 'messages', title: 'Messages', view: Messages },
  { id: 'files', title: 'Files', view: Files },
  { id: 'node', title: 'Node', view: NodePage },
] as const;

type PageId = (typeof PAGES)[number]['id'];

/** The page named by the URL's hash (`#/messages`), so pages can be bookmarked and the back button works. */
function pageFromHash(): PageId {
  const id = location.hash.replace(/^#\/?/, '').split('/')[0];
  return PAGES.some((p) => p.id === id) ? (id as PageId) : 'peers';
}

export function App() {
  const [token, setToken] = useState(session.token);
  const [page, setPage] = useState(pageFromHash);
  const [node, setNode] = useState<NodeStatus | null>(null);

  useEffect(() => session.onChange(setToken), []);
  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    if (!token) return;
    api<NodeStatus>('GET', '/api/node/status').then(setNode, () => setNode(null));
  }, [token]);
  useEffect(() => {
    const title = PAGES.find((p) => p.id === page)!.title;
    document.title = token ? `${title} · OpenRed console` : 'Log in · OpenRed console';
  }, [page, token]);
  // After a page change, screen readers and keyboard users start at the new page, not on the old link.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else document.getElementById('main')?.focus();
  }, [page]);

  if (!token) return <Login />;

  const current = PAGES.find((p) => p.id === page)!;
  const View = current.view;
  const logout = async () => {
    await api('POST', '/api/auth/logout').catch(() => undefined);
    session.set(null);
  };
  return (
    <div class="shell">
      <header class="topbar">
        <span class="brand">OpenRed</span>
        {node && (
          <span class="node-id" title={node.node_id}>
            {node.name ? `${node.name} · ` : ''}
            <span data-testid="self-id" data-node-id={node.node_id}>
              {shortId(node.node_id)}
            </span>
          </span>
        )}
        <button type="button" class="link-button" onClick={logout}>
          Log out
        </button>
      </header>
      <nav aria-label="Console sections" class="tabs">
        {PAGES.map((p) => (
          <a key={p.id} href={`#/${p.id}`} aria-current={p.id === page ? 'page' : undefined}>
            {p.title}
          </a>
        ))}
      </nav>
      <main id="main" tabIndex={-1}>
        <h1>{current.title}</h1>
        <View self={node?.node_id ?? null} />
      </main>
    </div>
  );
}
