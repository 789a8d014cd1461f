import type { Command } from 'commander';
import { OpenRedError, ValidationError } from '../../errors.js';
import { nodeOptions, resolveApi, type NodeCommandOptions } from '../node-address.js';
import { ownerApi } from '../owner-api.js';
import { print } from '../output.js';

/** What the messaging module's owner API answers (docs/modules/messaging.md). */
interface Sent {
  id: string;
  to: string;
  seq: number;
  body: string;
  created_at: number;
  state: 'queued' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
  delivered_at: number | null;
}

interface Received {
  id: string;
  from: string;
  seq: number;
  body: string;
  content_type: string;
  received_at: number;
  read_at: number | null;
}

const MAX_STDIN = 65536;
const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `90s`, `10m`, `1h`, `2d`, `1w` (or a plain number of milliseconds) to milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(text.trim());
  if (!m)
    throw new ValidationError(
      `not a duration: ${text} (e.g. 90s, 10m, 1h, 2d)`,
      undefined,
      'OR_ERR_BAD_DURATION',
    );
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!);
}

/** `--since`: a duration back from now (`2h`), an ISO 8601 date, or milliseconds since the epoch. */
function sinceParam(text: string): string {
  if (/^\d+(\.\d+)?(ms|s|m|h|d|w)$/.test(text)) return String(Date.now() - parseDuration(text));
  if (/^\d+$/.test(text)) return text;
  const t = Date.parse(text);
  if (!Number.isFinite(t)) {
    throw new ValidationError(`--since: not a date or duration: ${text}`, undefined, 'OR_ERR_BAD_SINCE');
  }
  return String(t);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_STDIN) {
      throw new ValidationError(
        `a message is at most ${MAX_STDIN} bytes`,
        undefined,
        'OR_ERR_MESSAGE_TOO_LARGE',
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const time = (ms: number | null): string =>
  ms === null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');

function receivedLine(m: Received): string {
  const body = m.content_type.startsWith('text/') ? m.body : `(${m.content_type}, ${m.body.length} chars)`;
  return `${time(m.received_at)}  from ${m.from}  ${m.id}${m.read_at === null ? '  [new]' : ''}\n  ${body.replace(/\n/g, '\n  ')}`;
}

function sentLine(m: Sent): string {
  const preview = m.body.length > 60 ? `${m.body.slice(0, 57)}...` : m.body;
  const detail =
    m.state === 'delivered'
      ? time(m.delivered_at)
      : m.last_error
        ? `${m.last_error}, ${m.attempts} rounds`
        : '';
  return `${time(m.created_at)}  ${m.state.padEnd(9)}  to ${m.to}  ${m.id}  ${detail}\n  ${preview.replace(/\n/g, ' ')}`;
}

interface SendOptions extends NodeCommandOptions {
  type: string;
  wait?: string | boolean;
}

/** `openred send`, `inbox`, `outbox`, `mark-read`, `delete-message`, `resend`. */
export function register(program: Command): void {
  nodeOptions(
    program
      .command('send')
      .argument('<nodeId>', 'the peer to send to')
      .argument('[text...]', 'the message; "-" reads it from standard input')
      .option('--type <contentType>', 'content type of the message', 'text/plain')
      .option('--wait [seconds]', 'wait until the message is delivered or fails (default 30 s)')
      .description('Send a message; it is kept in the outbox and retried until the peer has stored it'),
  ).action(async (nodeId: string, words: string[], opts: SendOptions) => {
    const text = words.length === 1 && words[0] === '-' ? await readStdin() : words.join(' ');
    if (words.length === 0) throw new ValidationError('give the text to send, or "-" to read it from stdin');
    const api = await resolveApi(opts);
    let sent = await ownerApi<Sent>(api, 'POST', '/api/messages', {
      to: nodeId,
      body: text,
      content_type: opts.type,
    });
    if (opts.wait !== undefined) {
      const seconds = opts.wait === true ? 30 : Number(opts.wait);
      if (!Number.isFinite(seconds) || seconds <= 0)
        throw new ValidationError('--wait takes a number of seconds');
      const deadline = Date.now() + seconds * 1000;
      while (sent.state === 'queued' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        const list = await ownerApi<{ messages: Sent[] }>(
          api,
          'GET',
          `/api/outbox?peer=${nodeId}&limit=1000`,
        );
        sent = list.messages.find((m) => m.id === sent.id) ?? sent;
      }
      if (sent.state === 'failed')
        throw new OpenRedError(
          sent.last_error ?? 'OR_ERR_MESSAGE_FAILED',
          `message ${sent.id} could not be delivered`,
          502,
        );
    }
    print(opts.json, sent, () =>
      sent.state === 'delivered'
        ? `delivered ${sent.id} to ${sent.to}`
        : `queued ${sent.id} (seq ${sent.seq}) for ${sent.to}; it is retried until delivered (see: openred outbox)`,
    );
  });

  nodeOptions(
    program
      .command('inbox')
      .option('--peer <nodeId>', 'only messages from this peer')
      .option('--since <when>', 'only messages received since: a duration (2h, 3d), a date, or epoch ms')
      .option('--unread', 'only unread messages')
      .option('--limit <n>', 'at most this many', '1000')
      .description('List received messages (each peer in the order it sent them)'),
  ).action(
    async (opts: NodeCommandOptions & { peer?: string; since?: string; unread?: boolean; limit: string }) => {
      const q = new URLSearchParams({ limit: opts.limit });
      if (opts.peer) q.set('peer', opts.peer);
      if (opts.since) q.set('since', sinceParam(opts.since));
      if (opts.unread) q.set('unread', 'true');
      const data = await ownerApi<{ messages: Received[]; next_offset?: number }>(
        await resolveApi(opts),
        'GET',
        `/api/messages?${q}`,
      );
      print(opts.json, data, () =>
        data.messages.length === 0
          ? 'no messages'
          : data.messages.map(receivedLine).join('\n') +
            (data.next_offset ? `\n(more: --limit ${opts.limit} shows the first ones)` : ''),
      );
    },
  );

  nodeOptions(
    program
      .command('outbox')
      .option('--state <state>', 'queued, delivered or failed')
      .option('--peer <nodeId>', 'only messages to this peer')
      .option('--limit <n>', 'at most this many (newest first)', '100')
      .description('List sent messages and their delivery state'),
  ).action(async (opts: NodeCommandOptions & { state?: string; peer?: string; limit: string }) => {
    const q = new URLSearchParams({ limit: opts.limit });
    if (opts.state) q.set('state', opts.state);
    if (opts.peer) q.set('peer', opts.peer);
    const data = await ownerApi<{ messages: Sent[] }>(await resolveApi(opts), 'GET', `/api/outbox?${q}`);
    print(opts.json, data, () =>
      data.messages.length === 0 ? 'outbox empty' : data.messages.map(sentLine).join('\n'),
    );
  });

  const idsCommand = (
    name: string,
    path: string,
    description: string,
    done: (r: Record<string, unknown>) => string,
  ) =>
    nodeOptions(
      program
        .command(name)
        .argument('<ids...>', 'message ids')
        .option('--peer <nodeId>', 'the sender, when two peers used the same id')
        .description(description),
    ).action(async (ids: string[], opts: NodeCommandOptions & { peer?: string }) => {
      const r = await ownerApi<Record<string, unknown>>(await resolveApi(opts), 'POST', path, {
        ids,
        ...(opts.peer ? { peer: opts.peer } : {}),
      });
      const missing = (r.missing as string[] | undefined) ?? [];
      print(opts.json, r, () => done(r) + (missing.length > 0 ? `; not found: ${missing.join(', ')}` : ''));
      if (missing.length > 0 && !opts.json) process.exitCode = 1;
    });
  idsCommand(
    'mark-read',
    '/api/messages/read',
    'Mark received messages read',
    (r) => `marked ${String(r.updated)} read`,
  );
  idsCommand(
    'delete-message',
    '/api/messages/delete',
    'Delete received messages',
    (r) => `deleted ${String(r.deleted)}`,
  );

  nodeOptions(
    program
      .command('resend')
      .argument('[ids...]', 'failed messages to queue again (none: retry queued messages now)')
      .description('Retry delivery now, or put failed messages back in the outbox'),
  ).action(async (ids: string[], opts: NodeCommandOptions) => {
    const r = await ownerApi<{ requeued: string[]; queued: number }>(
      await resolveApi(opts),
      'POST',
      '/api/outbox/retry',
      ids.length > 0 ? { ids } : {},
    );
    print(opts.json, r, () => `${r.requeued.length} requeued, ${r.queued} queued; delivery is being retried`);
  });
}
