// V8 settings of the `openred` process, applied before any module of ours is loaded.
import { setFlagsFromString } from 'node:v8';

/**
 * Two V8 settings for a long-running node with a small heap, set at run time (both are read each time V8 uses
 * them, unlike `--max-semi-space-size`, fixed when the heap is created). V8 resets the first whenever it creates
 * an isolate, so call this again after starting a worker thread. Each is skipped when given explicitly on the
 * command line (or, for the semi-space sizes, in NODE_OPTIONS; V8 refuses the growing factor there).
 *
 * Young generation kept at its initial size (1 MiB per semi-space) instead of growing to 16 MiB: loading the
 * code fills it with survivors, so V8 grew it to the maximum at start-up and never gave it back, ~30 MB of a
 * ~160 MB idle node. The cost is more minor collections, each as cheap as before.
 */
export function applyMemorySettings() {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (!given.some((a) => /^--(max|min)-semi-space-size|^--semi-space-growth-factor/.test(a))) {
    setFlagsFromString('--semi-space-growth-factor=1');
  }
  if (!given.some((a) => /^--heap-growing-percent/.test(a))) {
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  }
}

/**
 * Old-generation growing factor. After each full collection V8 lets the old generation grow to its live size
 * times a factor it picks from recent collection speed; on a node's small heap (~20 MB live) that came out near
 * 1.3, i.e. ~7 MB of room.
 * Memory outside the heap allocated since the last full collection counts against that room, including
 * Buffers already dead but not yet swept by the next minor collection: a file transfer allocates ~2 bytes of
 * such short-lived memory per byte received (socket reads, decryption output), so the room filled between two
 * minor collections and V8 ran a full collection every ~50 ms, a third of the node's CPU. A fixed factor of
 * 2.5 gives ~30 MB of room on that heap: full collections per 256 MiB received 29 → 2-6, the receiving node's
 * CPU per MiB 6.5-8 ms → 4-4.5. The price is memory: a node busy with messages settles ~15-20 MB higher than
 * with 2.0 (docs/operations.md has the measured trade).
 */
const HEAP_GROWING_PERCENT = 150;
