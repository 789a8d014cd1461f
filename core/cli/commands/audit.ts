import type { Command } from 'commander';
import { ConfigError } from '../../errors.js';
import { nodeOptions, resolveApi, type NodeCommandOptions } from '../node-address.js';
import { ownerApi } from '../owner-api.js';
import { CliExit, print } from '../output.js';

interface VerifyReport {
  ok: boolean;
  files: string[];
  entries: number;
  last_seq: number;
  head_seq: number | null;
  problem: {
    code: string;
    message: string;
    file: string | null;
    line: number | null;
    expected_seq: number | null;
    found_seq: number | null;
  } | null;
}

interface Entry {
  seq: number;
  ts: number;
  event: string;
  source: string;
  data: Record<string, unknown>;
  hash: string;
}

/** `openred audit verify` and `openred audit show`: the monitoring module's signed audit log. */
export function register(program: Command): void {
  const audit = program.command('audit').description("Check and read the node's signed audit log");

  nodeOptions(
    audit
      .command('verify')
      .description(
        'Check the chain, every signature and that nothing was cut off; exits 1 at the first bad entry',
      ),
  ).action(async (opts: NodeCommandOptions) => {
    const r = await ownerApi<VerifyReport>(await resolveApi(opts), 'GET', '/api/monitoring/audit/verify');
    print(opts.json, r, () =>
      r.ok
        ? `audit log ok: ${r.entries} entries in ${r.files.length} file(s), last entry ${r.last_seq}`
        : [
            `audit log FAILED (${r.problem!.code}): ${r.problem!.message}`,
            `  first bad entry: ${r.problem!.file ?? '-'} line ${r.problem!.line ?? '-'}` +
              ` (expected entry ${r.problem!.expected_seq ?? '-'}` +
              (r.problem!.found_seq !== null ? `, found ${r.problem!.found_seq})` : ')'),
            `  ${r.entries} entries checked before it`,
          ].join('\n'),
    );
    if (!r.ok) throw new CliExit(1);
  });

  nodeOptions(
    audit
      .command('show')
      .description('Decrypt and print audit entries')
      .option(
        '--since <time>',
        'entries from this time: ISO date/time, epoch ms, or an age like 30m, 12h, 7d',
      )
      .option('--event <name>', 'one event, or a prefix ending in . or * (auth.*)')
      .option('--peer <nodeId>', 'entries about this peer (matched by its keyed hash)')
      .option('--limit <n>', 'at most this many of the newest matches', '200'),
  ).action(
    async (opts: NodeCommandOptions & { since?: string; event?: string; peer?: string; limit: string }) => {
      const q = new URLSearchParams();
      if (opts.since !== undefined) q.set('since', String(parseSince(opts.since, Date.now())));
      if (opts.event !== undefined) q.set('event', opts.event);
      if (opts.peer !== undefined) q.set('peer', opts.peer);
      q.set('limit', opts.limit);
      const r = await ownerApi<{ entries: Entry[]; matched: number }>(
        await resolveApi(opts),
        'GET',
        `/api/monitoring/audit?${q.toString()}`,
      );
      print(opts.json, r, () =>
        r.entries.length === 0
          ? 'no matching entries'
          : r.entries
              .map(
                (e) =>
                  `${new Date(e.ts).toISOString()}  #${e.seq}  ${e.event.padEnd(24)} ${e.source.padEnd(14)} ${JSON.stringify(e.data)}`,
              )
              .join('\n') +
            (r.matched > r.entries.length ? `\n(${r.matched - r.entries.length} older not shown)` : ''),
      );
    },
  );
}

/** `--since`: ISO date/time, epoch milliseconds, or an age (`90s`, `30m`, `12h`, `7d`) before `now`. */
export function parseSince(value: string, now: number): number {
  const age = /^(\d+)\s*([smhd])$/.exec(value.trim());
  if (age) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(age[1]) * unit;
  }
  if (/^\d{10,15}$/.test(value.trim())) return Number(value.trim());
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new ConfigError(`--since: cannot read ${JSON.stringify(value)} as a time`);
  return t;
}
