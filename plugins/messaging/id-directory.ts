interface Bucket<L> {
  location: L;
  /** Sorted 32-bit hashes of the ids stored at `location`; the first `n` are used. */
  hashes: Uint32Array;
  n: number;
}

/**
 * Which locations (shards) may hold a message id, in about 4 bytes per id: each location keeps the sorted
 * 32-bit hashes of its ids rather than the id strings. A lookup returns every location whose hashes contain
 * the id's hash; the caller confirms in the shard itself, so a rare collision costs one more shard read and
 * never a wrong answer.
 */
export class IdDirectory<L extends object> {
  readonly #buckets = new Map<L, Bucket<L>>();

  add(id: string, location: L): void {
    let b = this.#buckets.get(location);
    if (!b) this.#buckets.set(location, (b = { location, hashes: new Uint32Array(16), n: 0 }));
    const h = hashId(id);
    const at = lowerBound(b.hashes, b.n, h);
    if (at < b.n && b.hashes[at] === h) return;
    if (b.n === b.hashes.length) {
      const grown = new Uint32Array(b.hashes.length * 2);
      grown.set(b.hashes);
      b.hashes = grown;
    }
    b.hashes.copyWithin(at + 1, at, b.n);
    b.hashes[at] = h;
    b.n++;
  }

  /** Locations that may hold `id`. */
  candidates(id: string): L[] {
    const h = hashId(id);
    const out: L[] = [];
    for (const b of this.#buckets.values()) {
      const at = lowerBound(b.hashes, b.n, h);
      if (at < b.n && b.hashes[at] === h) out.push(b.location);
    }
    return out;
  }
}

/** FNV-1a over the UTF-16 code units: fast and well spread; not a security boundary (ids are confirmed). */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function lowerBound(a: Uint32Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
