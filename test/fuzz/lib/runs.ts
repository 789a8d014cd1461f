/**
 * How many inputs each fuzz property tries. `npm test` uses a small count so the suite stays within a few
 * minutes on a 2-core machine, with a fixed seed; `npm run test:fuzz` sets OPENRED_FUZZ_RUNS for the full
 * run, with a new seed each time. OPENRED_FUZZ_SEED replays a run exactly (fast-check prints the seed and
 * path of any failure).
 */
import fc from 'fast-check';

const CI_HTTP_RUNS = 100;
const CI_PARSER_RUNS = 400;
/**
 * The CI count replays the same inputs on every run, so `npm test` passes or fails on the code, not on the
 * draw; the full run (`npm run test:fuzz`) draws new inputs each time, and what it finds becomes a test.
 */
const CI_SEED = 20261125;

function fromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
}

/** Inputs per HTTP endpoint. */
export function httpRuns(): number {
  return fromEnv('OPENRED_FUZZ_RUNS') ?? CI_HTTP_RUNS;
}

/** Inputs per parser (pure functions are cheap: several times the HTTP count). */
export function parserRuns(): number {
  const runs = fromEnv('OPENRED_FUZZ_RUNS');
  return runs === undefined ? CI_PARSER_RUNS : runs * 2;
}

/** fast-check parameters shared by every property: run count, optional fixed seed, no time-based limits. */
export function fcParams(numRuns: number): fc.Parameters<unknown> {
  const seed =
    fromEnv('OPENRED_FUZZ_SEED') ?? (fromEnv('OPENRED_FUZZ_RUNS') === undefined ? CI_SEED : undefined);
  return { numRuns, ...(seed === undefined ? {} : { seed }), reporter: compactReport };
}

/**
 * Fails with a short report: fuzz inputs can be tens of kilobytes, and fast-check's default report prints
 * them whole. The seed and path replay the exact failure (OPENRED_FUZZ_SEED plus fast-check's `path`).
 */
function compactReport(details: fc.RunDetails<unknown>): void {
  if (!details.failed) return;
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
  const error =
    details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    `property failed after ${details.numRuns} runs (seed ${details.seed}, path ${details.counterexamplePath})\n` +
      `counterexample: ${clip(fc.stringify(details.counterexample), 1500)}\n${clip(error, 1500)}`,
  );
}
