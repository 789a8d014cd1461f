/**
 * RFC 8785 (JCS) canonical JSON: the exact bytes that get signed. The `canonicalize` package does the
 * serialization; this wrapper first rejects values JSON cannot represent faithfully. `JSON.stringify` would
 * silently drop `undefined` properties and turn NaN into null, so a signer and a verifier could disagree about
 * what was signed; here those are errors instead.
 */
import canonicalizeModule from 'canonicalize';
import { ValidationError } from '../errors.js';

// The package is CommonJS whose typings declare an ES default export; at runtime the default import is the
// function itself.
const canonicalize = canonicalizeModule as unknown as (value: unknown) => string | undefined;

const MAX_DEPTH = 64;

function check(value: unknown, path: string, seen: Set<object>, depth: number): void {
  if (depth > MAX_DEPTH)
    throw new ValidationError(`canonical JSON: nesting deeper than ${MAX_DEPTH} at ${path}`);
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new ValidationError(`canonical JSON: non-finite number at ${path}`);
      return;
    case 'undefined':
      throw new ValidationError(`canonical JSON: undefined at ${path}`);
    case 'object':
      break;
    default:
      throw new ValidationError(`canonical JSON: ${typeof value} is not JSON at ${path}`);
  }
  if (value === null) return;
  const obj = value as object;
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    check((obj as { toJSON(): unknown }).toJSON(), path, seen, depth + 1);
    return;
  }
  if (seen.has(obj)) throw new ValidationError(`canonical JSON: cycle at ${path}`);
  seen.add(obj);
  if (Array.isArray(obj)) {
    obj.forEach((v, i) => check(v, `${path}[${i}]`, seen, depth + 1));
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new ValidationError(`canonical JSON: unsupported object type at ${path}`);
    }
    for (const [k, v] of Object.entries(obj)) check(v, `${path}.${k}`, seen, depth + 1);
  }
  seen.delete(obj);
}

/** The RFC 8785 serialization of `value`; throws ValidationError for anything JSON cannot represent. */
export function canonicalJson(value: unknown): string {
  check(value, '$', new Set(), 0);
  const out = canonicalize(value);
  if (out === undefined) throw new ValidationError('canonical JSON: value has no JSON form');
  return out;
}

/** UTF-8 bytes of `canonicalJson(value)`: what signatures and AEAD associated data cover. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}
