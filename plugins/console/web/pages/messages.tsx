import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { Badge, Notice } from '../components/notice.js';
import { PeerId } from '../components/peer-id.js';
import { followEvents } from '../event-stream.js';
import { shortId, time } from '../format.js';
import { useLoad } from '../hooks.js';
import type { DeliveryState, DirectoryMember, InboxMessage, InboxStats, OutboxMessage } from '../types.js';

interface Line {
  id: string;
  mine: boolean;
  body: string;
  at: number;
  state?: DeliveryState;
  error?: string | null;
}

const fromInbox = (m: InboxMessage): Line => ({ id: m.id, mine: false, body: m.body, at: m.sent_at });
const fromOutbox = (m: OutboxMessage): Line => ({
  id: m.id,
  mine: true,
  body: m.body,
  at: m.created_at,
  state: m.state,
  error: m.last_error,
});

/** Conversations per peer, with new messages and delivery states arriving live (Server-Sent Events). */
export function Messages(props: { self: string | null }) {
  const directory = useLoad(() =>
    api<{ nodes: DirectoryMember[] }>('GET', '/api/peers/directory').then((r) => r.nodes),
  );
  const stats = useLoad(() => api<InboxStats>('GET', '/api/messages/stats'));
  const [peer, setPeer] = useState<string | null>(null);
  const [lines, setLines] = useState<Line[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const selected = useRef<string | null>(null);
  selected.current = peer;
  // A delivery can be confirmed before the send call returns: remember outcomes to apply them late.
  const outcomes = useRef(new Map<string, Pick<Line, 'state' | 'error'>>());

  const peers = [
    ...new Set([...(directory.data ?? []).map((n) => n.node_id), ...Object.keys(stats.data?.peers ?? {})]),
  ].filter((id) => id !== props.self);

  const loadConversation = async (p: string) => {
    try {
      const [inbox, outbox] = await Promise.all([
        api<{ messages: InboxMessage[] }>('GET', `/api/messages?peer=${p}&limit=500`),
        api<{ messages: OutboxMessage[] }>('GET', `/api/outbox?peer=${p}&limit=500`),
      ]);
      if (selected.current !== p) return;
      setLines(
        [...inbox.messages.map(fromInbox), ...outbox.messages.map(fromOutbox)].sort((a, b) => a.at - b.at),
      );
      setError(null);
      const unread = inbox.messages.filter((m) => m.read_at === null).map((m) => m.id);
      if (unread.length > 0) {
        await api('POST', '/api/messages/read', { ids: unread, peer: p });
        void stats.reload();
      }
    } catch (err) {
      setError(errorText(err));
    }
  };

  useEffect(() => {
    setLines([]);
    if (peer) void loadConversation(peer);
  }, [peer]);

  useEffect(
    () =>
      followEvents('/api/messages/events', {
        onState: setLive,
        // Whatever happened while the stream was closed is caught up by reloading.
        onOpen: () => {
          void stats.reload();
          if (selected.current) void loadConversation(selected.current);
        },
        onEvent: (name, data) => {
          if (name === 'message.received') {
            const m = data as InboxMessage;
            if (m.from === selected.current) {
              setLines((ls) => (ls.some((l) => l.id === m.id) ? ls : [...ls, fromInbox(m)]));
              void api('POST', '/api/messages/read', { ids: [m.id], peer: m.from });
            } else {
              void stats.reload();
            }
          } else if (name === 'message.delivered' || name === 'message.failed') {
            const e = data as { id: string; error?: string };
            const state: DeliveryState = name === 'message.delivered' ? 'delivered' : 'failed';
            outcomes.current.set(e.id, { state, error: e.error ?? null });
            setLines((ls) =>
              ls.map((l) => (l.mine && l.id === e.id ? { ...l, state, error: e.error ?? null } : l)),
            );
          }
        },
      }),
    [],
  );

  return (
    <div class="messages">
      <p class="live-state" role="status">
        {live ? 'Live: new messages appear as they arrive.' : 'Connecting to live updates…'}
      </p>
      <section aria-labelledby="conversations-title" class="conversations">
        <h2 id="conversations-title">Conversations</h2>
        {directory.error && <Notice kind="error">{directory.error}</Notice>}
        <ul class="peer-list">
          {peers.map((id) => {
            const unread = stats.data?.peers[id]?.unread ?? 0;
            return (
              <li key={id}>
                <button
                  type="button"
                  class="peer-button"
                  aria-pressed={id === peer}
                  aria-label={`Conversation with ${id}${unread ? `, ${unread} unread` : ''}`}
                  onClick={() => setPeer(id)}
                >
                  {shortId(id)}
                  {unread > 0 && <span class="count">{unread}</span>}
                </button>
              </li>
            );
          })}
          {peers.length === 0 && <li class="muted">No peers in the directory yet.</li>}
        </ul>
      </section>
      <section aria-labelledby="conversation-title" class="conversation">
        <h2 id="conversation-title">{peer ? <PeerId id={peer} /> : 'Pick a conversation'}</h2>
        {error && <Notice kind="error">{error}</Notice>}
        {peer && (
          <>
            <ol class="message-log" role="log" aria-live="polite" aria-label="Messages">
              {lines.map((l) => (
                <li key={`${l.mine ? 'out' : 'in'}-${l.id}`} class={l.mine ? 'mine' : 'theirs'}>
                  <p class="body">{l.body}</p>
                  <p class="meta">
                    {l.mine ? 'You' : 'Them'} · {time(l.at)}
                    {l.state && (
                      <>
                        {' '}
                        · <Badge state={l.state} />
                      </>
                    )}
                    {l.state === 'failed' && l.error && <span class="muted"> {l.error}</span>}
                  </p>
                </li>
              ))}
              {lines.length === 0 && <li class="muted">No messages yet.</li>}
            </ol>
            <Composer
              peer={peer}
              onSent={(m) =>
                setLines((ls) =>
                  ls.some((l) => l.id === m.id)
                    ? ls
                    : [...ls, { ...fromOutbox(m), ...outcomes.current.get(m.id) }],
                )
              }
            />
          </>
        )}
      </section>
    </div>
  );
}

function Composer(props: { peer: string; onSent(m: OutboxMessage): void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async () => {
    if (!text.trim()) return;
    setBusy(true);
    try {
      props.onSent(await api<OutboxMessage>('POST', '/api/messages', { to: props.peer, body: text }));
      setText('');
      setError(null);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label for="message-text">Message</label>
      <textarea
        id="message-text"
        rows={3}
        required
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void send();
          }
        }}
      />
      <button type="submit" disabled={busy}>
        Send
      </button>
      {error && <Notice kind="error">{error}</Notice>}
    </form>
  );
}
