// V8 settings of the `openred` process, applied before any module of ours is loaded.
import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at its initial size (1 MiB per semi-space) instead of letting it grow to 16 MiB.
 * Loading the code fills it with survivors, so V8 grew it to the maximum at start-up and never gave it back:
 * the two semi-spaces held ~30 MB of a ~160 MB idle node, and during a file transfer the young garbage (and
 * the memory of dead Buffers, freed only when their young wrappers are collected) piled up as long. The cost
 * is more minor collections and more objects promoted: a node sending a file at full speed ran ~25 full
 * collections per 256 MiB instead of ~2.
 *
 * `--semi-space-growth-factor` is read each time V8 considers growing the young generation, so it still works
 * when set at run time (unlike `--max-semi-space-size`, fixed when the heap is created). V8 raises it back to 2
 * whenever it creates an isolate, so call this again after starting a worker thread. Skipped when the young
 * generation was sized explicitly on the command line or in NODE_OPTIONS.
 */
export function youngGenerationCap() {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (given.some((a) => /^--(max|min)-semi-space-size|^--semi-space-growth-factor/.test(a))) return;
  setFlagsFromString('--semi-space-growth-factor=1');
}
