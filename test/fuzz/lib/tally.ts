/**
 * Per-endpoint counts of what the fuzzer sent and what came back (status and error code). With
 * OPENRED_FUZZ_REPORT=<file> each suite merges its counts into that JSON file when it ends, so a full run
 * leaves one table of every endpoint and parser.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface Outcome {
  runs: number;
  /** status (HTTP) or "ok" / error code (parsers) → count */
  outcomes: Record<string, number>;
}

const counts = new Map<string, Outcome>();

export function record(target: string, outcome: string): void {
  let o = counts.get(target);
  if (!o) counts.set(target, (o = { runs: 0, outcomes: {} }));
  o.runs++;
  o.outcomes[outcome] = (o.outcomes[outcome] ?? 0) + 1;
}

/** Merges this process's counts into OPENRED_FUZZ_REPORT (no-op when unset). */
export function flushReport(): void {
  const file = process.env.OPENRED_FUZZ_REPORT;
  if (!file) return;
  const merged: Record<string, Outcome> = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Outcome>)
    : {};
  for (const [target, o] of counts) {
    const m = (merged[target] ??= { runs: 0, outcomes: {} });
    m.runs += o.runs;
    for (const [k, n] of Object.entries(o.outcomes)) m.outcomes[k] = (m.outcomes[k] ?? 0) + n;
  }
  counts.clear();
  writeFileSync(file, JSON.stringify(merged, null, 1));
}
