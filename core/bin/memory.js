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
  if (!given.some((a) => /^--(max|min)-semi-space-size|^--semi-space-growth-factor/.test(a))) {
    setFlagsFromString('--semi-space-growth-factor=1');
  }
  if (!given.some((a) => /^--heap-growing-percent/.test(a))) {
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  }
}

/**
 * After each full collection V8 lets the old generation grow to its live size times a factor it picks from
 * recent collection speed; on a node's small heap (~20 MB live) that came out near 1.3, i.e. ~7 MB of room.
 * Memory outside the heap allocated since the last full collection counts against that room, including
 * Buffers already dead but not yet swept by the next minor collection: a file transfer allocates ~2 bytes of
 * such short-lived memory per byte received (socket reads, decryption output), so the room filled between two
 * minor collections and V8 ran a full collection every ~50 ms, a third of the node's CPU. A fixed factor of
 * 2.5 gives ~30 MB of room on that heap (measured: full collections per 256 MiB received 29 → 2-6, the
 * receiving node's CPU per MiB 6.5-8 ms → 4.5-5, its peak RSS unchanged within noise). Read at each full
 * collection, so setting it at run time works.
 */
const HEAP_GROWING_PERCENT = 150;
