import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { OpenRedError, ValidationError } from '../../errors.js';
import { nodeOptions, resolveApi, type NodeCommandOptions } from '../node-address.js';
import { ownerApi } from '../owner-api.js';
import { print } from '../output.js';
import { parseDuration } from './messaging.js';

/** What the file-sharing module's owner API answers (docs/modules/file-sharing.md). */
interface Share {
  file_id: string;
  link: string;
  name: string;
  size: number;
  sha256: string;
  peer: string;
  expires_at: number;
  max_downloads: number;
  downloads: number;
  state: string;
}

interface Download {
  id: string;
  link: string;
  name: string;
  size: number;
  sha256: string;
  target: string;
  state: 'running' | 'interrupted' | 'done' | 'failed' | 'cancelled';
  bytes: number;
  resumed_from: number;
  rate_bps: number;
  error: { code: string; message: string } | null;
}

const POLL_MS = 200;
/** Sharing encrypts the whole file before answering. */
const SHARE_TIMEOUT_MS = 10 * 60_000;

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

const shareLine = (s: Share): string =>
  `${s.file_id}  ${s.state.padEnd(9)}  ${s.name} (${formatBytes(s.size)})  to ${s.peer}  ` +
  `${s.downloads}/${s.max_downloads} downloads  until ${new Date(s.expires_at).toISOString()}`;

const downloadLine = (d: Download): string =>
  `${d.id}  ${d.state.padEnd(11)}  ${formatBytes(d.bytes)}/${formatBytes(d.size)}  ${d.target}` +
  (d.error ? `  ${d.error.code}` : '');

/** The share-folder-relative path of `file`, or an error naming the folder. */
async function pathInShareDir(file: string, shareDir: string): Promise<string> {
  const abs = resolve(file);
  let dir: string;
  try {
    dir = await realpath(dirname(abs));
  } catch {
    throw new ValidationError(`no such folder: ${dirname(abs)}`, undefined, 'OR_ERR_SOURCE_NOT_FOUND');
  }
  const rel = relative(await realpath(shareDir), resolve(dir, basename(abs)));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new ValidationError(
      `${file} is not inside the node's share folder ${shareDir}; copy it there first`,
      undefined,
      'OR_ERR_PATH_OUTSIDE_SHARE',
    );
  }
  return rel;
}

/** `openred share`, `unshare`, `shares`, `download`, `downloads`. */
export function register(program: Command): void {
  nodeOptions(
    program
      .command('share')
      .argument('<file>', "a file inside the node's share folder")
      .requiredOption('--to <nodeId>', 'the only peer that may use the link')
      .option('--expires <duration>', 'link lifetime, e.g. 30m, 1h, 2d (default: the node setting, 24 h)')
      .option('--max-downloads <n>', 'how many times the link may be used (default 1)')
      .option('--name <name>', 'the name the peer sees')
      .description('Share a file with one peer: prints a temporary link for that peer'),
  ).action(
    async (
      file: string,
      opts: NodeCommandOptions & { to: string; expires?: string; maxDownloads?: string; name?: string },
    ) => {
      const api = await resolveApi(opts);
      const settings = await ownerApi<{ share_dir: string }>(api, 'GET', '/api/files/settings');
      const body: Record<string, unknown> = {
        path: await pathInShareDir(file, settings.share_dir),
        to: opts.to,
      };
      if (opts.expires) body.expires_in_ms = parseDuration(opts.expires);
      if (opts.maxDownloads) body.max_downloads = Number(opts.maxDownloads);
      if (opts.name) body.name = opts.name;
      const s = await ownerApi<Share>(api, 'POST', '/api/files/share', body, { timeoutMs: SHARE_TIMEOUT_MS });
      print(opts.json, s, () =>
        [
          s.link,
          `  ${s.name}, ${formatBytes(s.size)}, sha256 ${s.sha256}`,
          `  for ${s.peer} only, ${s.max_downloads} download(s), until ${new Date(s.expires_at).toISOString()}`,
          `  revoke with: openred unshare ${s.file_id}`,
        ].join('\n'),
      );
    },
  );

  nodeOptions(
    program
      .command('unshare')
      .argument('<idOrLink>', 'the file id or link of a share')
      .description('Revoke a share link (its encrypted copy is deleted)'),
  ).action(async (idOrLink: string, opts: NodeCommandOptions) => {
    const id = idOrLink.split('/').pop()!;
    const s = await ownerApi<Share>(await resolveApi(opts), 'DELETE', `/api/files/${encodeURIComponent(id)}`);
    print(opts.json, s, () => `revoked ${s.file_id} (${s.name})`);
  });

  nodeOptions(program.command('shares').description('List the files this node shares')).action(
    async (opts: NodeCommandOptions) => {
      const data = await ownerApi<{ shares: Share[] }>(await resolveApi(opts), 'GET', '/api/files');
      print(opts.json, data, () =>
        data.shares.length === 0 ? 'no shares' : data.shares.map(shareLine).join('\n'),
      );
    },
  );

  nodeOptions(program.command('downloads').description('List downloads and their state')).action(
    async (opts: NodeCommandOptions) => {
      const data = await ownerApi<{ downloads: Download[] }>(
        await resolveApi(opts),
        'GET',
        '/api/files/downloads',
      );
      print(opts.json, data, () =>
        data.downloads.length === 0 ? 'no downloads' : data.downloads.map(downloadLine).join('\n'),
      );
    },
  );

  nodeOptions(
    program
      .command('download')
      .argument('<link>', 'a link from `openred share` (openred://<nodeId>/file/<fileId>)')
      .option('-o, --output <path>', 'file to create, or folder to put it in (default: the current folder)')
      .option('--no-progress', 'no progress bar')
      .description(
        'Download a shared file: verified chunk by chunk and as a whole, resumable (run it again after an interruption)',
      ),
  ).action(async (link: string, opts: NodeCommandOptions & { output?: string; progress: boolean }) => {
    const api = await resolveApi(opts);
    let d = await ownerApi<Download>(api, 'POST', '/api/files/download', {
      link,
      path: resolve(opts.output ?? process.cwd()),
    });
    const bar =
      opts.progress && !opts.json && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            {
              format: '{bar} {percentage}% | {done} / {all} | {rate} | ETA {eta_formatted}',
              hideCursor: true,
              etaBuffer: 50,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
    let rate = 0;
    const payload = (x: Download) => {
      if (x.state === 'running') rate = x.rate_bps; // a finished download reports no rate: keep the last one
      return { done: formatBytes(x.bytes), all: formatBytes(x.size), rate: `${formatBytes(rate)}/s` };
    };
    bar?.start(Math.max(d.size, 1), d.bytes, payload(d));
    try {
      // Bounded: the node ends every download (done, failed, or interrupted after its retries).
      while (d.state === 'running') {
        await new Promise((r) => setTimeout(r, POLL_MS));
        d = await ownerApi<Download>(api, 'GET', `/api/files/downloads/${d.id}`);
        bar?.update(d.bytes, payload(d));
      }
    } finally {
      bar?.stop();
    }
    if (d.state !== 'done') {
      const hint = d.state === 'interrupted' ? '; run the same command again to resume' : '';
      throw new OpenRedError(
        d.error?.code ?? 'OR_ERR_DOWNLOAD_FAILED',
        `${d.error?.message ?? d.state}${hint}`,
        502,
      );
    }
    print(
      opts.json,
      d,
      () =>
        `saved ${d.target} (${formatBytes(d.size)}, sha256 ${d.sha256} verified` +
        (d.resumed_from > 0 ? `, resumed from ${formatBytes(d.resumed_from)})` : ')'),
    );
  });
}
