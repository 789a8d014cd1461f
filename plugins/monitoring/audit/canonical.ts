/**
 * Deterministic JSON for hashing: object keys sorted (recursively), no whitespace. Entries hold only JSON
 * values written by this module (strings, finite numbers, booleans, null, arrays, plain objects), so this
 * small subset of RFC 8785 is enough for `hash(parse(line))` to equal the hash that was written.
 */
export function canonical(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('audit values must be finite numbers');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  throw new TypeError(`audit values cannot be ${typeof value}`);
}
