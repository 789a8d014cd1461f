/**
 * Tiny benchmark helpers shared by every bench/*.bench.ts file. Each benchmark measures its own baseline in
 * the same run and reports ratios, so figures compare like with like on whatever machine runs them.
 */
import { performance } from 'node:perf_hooks';

export interface Rate {
  name: string;
  ops: number;
  opsPerSec: number;
  elapsedMs: number;
}

/** Runs `fn` repeatedly (awaiting it if async) for at least `minMs` after a warm-up; returns ops/s. */
export async function rate(name: string, fn: () => unknown, minMs = 1000, warmup = 50): Promise<Rate> {
  for (let i = 0; i < warmup; i++) await fn();
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  let batch = 1;
  while (elapsed < minMs) {
    for (let i = 0; i < batch; i++) await fn();
    ops += batch;
    elapsed = performance.now() - start;
    if (batch < 1024) batch *= 2;
  }
  return { name, ops, opsPerSec: (ops / elapsed) * 1000, elapsedMs: elapsed };
}

/** Percentile of a list of latencies in ms (nearest-rank). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(samples: number[]): number {
  return percentile(samples, 50);
}

export interface Row {
  [column: string]: string | number;
}

/** Prints rows as an aligned table (also valid Markdown, so it can be pasted into docs/benchmarks.md). */
export function printTable(title: string, rows: Row[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const cell = (v: string | number): string =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1)) : v;
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c] ?? '').length)));
  const line = (vals: string[]): string => '| ' + vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(`\n### ${title}\n`);
  console.log(line(cols));
  console.log('| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |');
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c] ?? ''))));
}

/** "0.91 (target >= 0.85: ok)" */
export function verdict(ratio: number, target: number, higherIsBetter = true): string {
  const ok = higherIsBetter ? ratio >= target : ratio <= target;
  return `${ratio.toFixed(2)} (target ${higherIsBetter ? '>=' : '<='} ${target}: ${ok ? 'ok' : 'MISSED'})`;
}

/**
 * A closed-loop load: `concurrency` workers each send the next request as soon as the previous one is answered,
 * for `durationMs`. Returns how many completed, the time taken and every latency (ms).
 */
export async function closedLoop(
  send: () => Promise<unknown>,
  options: { concurrency: number; durationMs: number },
): Promise<{ done: number; elapsedMs: number; latencies: number[] }> {
  const latencies: number[] = [];
  let done = 0;
  const t0 = performance.now();
  const end = t0 + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        await send();
        latencies.push(performance.now() - s);
        done++;
      }
    }),
  );
  return { done, elapsedMs: performance.now() - t0, latencies };
}
