/**
 * Traffic the scenarios drive through the owner API, and the checks that follow it: messages sent and
 * found exactly once in the receiver's inbox (by message id), files shared, downloaded and hashed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pollUntil } from '../../helpers/node-harness.js';
import { errorCode } from './api.js';
import type { SystemNode } from './cluster.js';

export interface Sent {
  id: string;
  from: string;
  to: string;
}

/**
 * Sends `count` messages; returns the acknowledged ones (201: the message is on the sender's disk). Answers
 * other than 201 are returned as refusals with their error code: they are not acknowledged, so they may
 * be lost without breaking any promise.
 */
export async function sendMessages(
  from: SystemNode,
  to: SystemNode,
  count: number,
  tag: string,
): Promise<{ acked: Sent[]; refused: string[] }> {
  const acked: Sent[] = [];
  const refused: string[] = [];
  for (let i = 0; i < count; i++) {
    try {
      const r = await from.call<{ id: string }>('POST', '/api/messages', {
        to: to.id,
        body: `${tag} ${i} from ${from.name} to ${to.name}`,
      });
      if (r.status === 201) acked.push({ id: r.json.id, from: from.id, to: to.id });
      else refused.push(errorCode(r.json) ?? `HTTP_${r.status}`);
    } catch (err) {
      // The sender died while answering: not acknowledged.
      refused.push((err as Error).message);
    }
  }
  return { acked, refused };
}

/** Every message id in `node`'s inbox from `peerId`, in inbox order (duplicates kept, to be counted). */
export async function inboxIds(node: SystemNode, peerId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; ;) {
    const r = await node.call<{ messages: Array<{ id: string }>; next_offset?: number }>(
      'GET',
      `/api/messages?peer=${peerId}&limit=10000&offset=${offset}`,
    );
    if (r.status !== 200) throw new Error(`inbox of ${node.name}: HTTP ${r.status}`);
    ids.push(...r.json.messages.map((m) => m.id));
    if (r.json.next_offset === undefined) return ids;
    offset = r.json.next_offset;
  }
}

export interface Tally {
  sent: number;
  delivered: number;
  missing: string[];
  duplicates: string[];
}

/** Compares acknowledged messages with the receivers' inboxes: each must be there exactly once. */
export async function tally(sent: Sent[], nodesById: Map<string, SystemNode>): Promise<Tally> {
  const byPair = new Map<string, Sent[]>();
  for (const s of sent) byPair.set(`${s.from} ${s.to}`, [...(byPair.get(`${s.from} ${s.to}`) ?? []), s]);
  const missing: string[] = [];
  const duplicates: string[] = [];
  let delivered = 0;
  for (const [pair, list] of byPair) {
    const [from, to] = pair.split(' ') as [string, string];
    const seen = new Map<string, number>();
    for (const id of await inboxIds(nodesById.get(to)!, from)) seen.set(id, (seen.get(id) ?? 0) + 1);
    for (const s of list) {
      const n = seen.get(s.id) ?? 0;
      if (n === 0) missing.push(s.id);
      else delivered++;
      if (n > 1) duplicates.push(s.id);
    }
  }
  return { sent: sent.length, delivered, missing, duplicates };
}

/** Waits until none of `senders` has a queued message left (bounded). */
export async function waitOutboxesDrained(senders: SystemNode[], timeoutMs: number): Promise<void> {
  let waiting = '';
  try {
    await pollUntil(
      async () => {
        for (const n of senders) {
          const r = await n.call<{ messages: Array<{ to: string; last_error: string | null }> }>(
            'GET',
            '/api/outbox?state=queued&limit=1',
          );
          const head = r.json.messages?.[0];
          if (r.status !== 200 || head) {
            waiting = `${n.name} -> ${head?.to ?? '?'} (${head?.last_error ?? `HTTP ${r.status}`})`;
            return false;
          }
        }
        return true;
      },
      { what: 'every outbox to drain', timeoutMs, intervalMs: 250 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; still queued: ${waiting}`);
  }
}

export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface SharedFile {
  link: string;
  sha256: string;
  size: number;
}

/** Writes `size` random bytes into the sharer's share folder and shares them with `to`. */
export async function shareRandomFile(
  sharer: SystemNode,
  to: SystemNode,
  size: number,
  name: string,
): Promise<SharedFile> {
  const shareDir = join(sharer.dataDir, 'share');
  await mkdir(shareDir, { recursive: true });
  const bytes = randomBytes(size);
  await writeFile(join(shareDir, name), bytes);
  const r = await sharer.call<{ link: string }>('POST', '/api/files/share', {
    path: name,
    to: to.id,
    expires_in_ms: 3_600_000,
    max_downloads: 1,
  });
  if (r.status !== 201) throw new Error(`share on ${sharer.name}: ${JSON.stringify(r.json)}`);
  return { link: r.json.link, sha256: createHash('sha256').update(bytes).digest('hex'), size };
}

export interface DownloadView {
  id: string;
  state: 'running' | 'interrupted' | 'done' | 'failed' | 'cancelled';
  bytes: number;
  size: number;
  target: string;
  resumed_from: number;
  error: { code: string; message: string } | null;
}

/** Starts (or resumes: same link, same folder) a download into `folder`. */
export async function startDownload(node: SystemNode, link: string, folder: string): Promise<DownloadView> {
  await mkdir(folder, { recursive: true });
  const r = await node.call<DownloadView>('POST', '/api/files/download', { link, path: folder });
  if (r.status !== 202) throw new Error(`download on ${node.name}: ${JSON.stringify(r.json)}`);
  return r.json;
}

/** Polls a download until it leaves `running` (bounded); returns its final view. */
export async function waitDownloadSettled(
  node: SystemNode,
  id: string,
  timeoutMs: number,
): Promise<DownloadView> {
  return pollUntil(
    async () => {
      const r = await node.call<DownloadView>('GET', `/api/files/downloads/${id}`);
      return r.status === 200 && r.json.state !== 'running' && r.json;
    },
    { what: `download ${id} on ${node.name}`, timeoutMs, intervalMs: 100 },
  );
}
