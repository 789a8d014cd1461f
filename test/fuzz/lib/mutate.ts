/**
 * Structure-aware mutation: take a valid input and damage one to three places in it, so the fuzzer gets
 * past the outer checks (it is JSON, it is an object, most fields are right) and reaches the deeper ones.
 */
import fc from 'fast-check';
import { damageB64u, junkJson, nastyNumber, nastyString } from './junk.js';

type Path = Array<string | number>;

const OPS = [
  'replace', // the value becomes any junk value
  'delete', // the field disappears
  'extra', // an unknown field appears next to it
  'retype', // same value, another JSON type
  'string', // a nasty string
  'number', // a nasty number
  'damage', // a string damaged like broken base64url (truncated, bit flip, other alphabet)
  'nest', // the value is wrapped 20-200 levels deep
] as const;

export interface Mutation {
  pick: number;
  op: (typeof OPS)[number];
  junk: unknown;
  text: string;
  num: number;
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom(...OPS),
  junk: junkJson,
  text: nastyString,
  num: nastyNumber,
});

/** Every path in a JSON value, the root included. */
function paths(value: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  }
  return out;
}

function retype(v: unknown): unknown {
  if (typeof v === 'string') return Number.isNaN(Number(v)) ? [v] : Number(v);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 1 : 'false';
  if (v === null) return {};
  if (Array.isArray(v)) return v[0] ?? null;
  return Object.values(v as object);
}

function nest(v: unknown, depth: number): unknown {
  let out = v;
  for (let i = 0; i < depth; i++) out = i % 2 ? [out] : { x: out };
  return out;
}

function applyOne(root: unknown, m: Mutation): unknown {
  const all = paths(root);
  const path = all[m.pick % all.length]!;
  const current = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root);
  let replacement: unknown;
  switch (m.op) {
    case 'replace':
      replacement = m.junk;
      break;
    case 'retype':
      replacement = retype(current);
      break;
    case 'string':
      replacement = m.text;
      break;
    case 'number':
      replacement = m.num;
      break;
    case 'damage':
      replacement = typeof current === 'string' ? damageB64u(current, m.pick) : m.text;
      break;
    case 'nest':
      replacement = nest(current, 20 + (m.pick % 180));
      break;
    case 'delete':
    case 'extra': {
      if (path.length === 0) return m.op === 'delete' ? undefined : root;
      const parent = path
        .slice(0, -1)
        .reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root);
      const key = path[path.length - 1]!;
      if (m.op === 'delete') {
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete (parent as Record<string, unknown>)[key as string];
      } else if (!Array.isArray(parent)) {
        // defineProperty, so a `__proto__` key becomes a real field of the JSON rather than a prototype.
        Object.defineProperty(parent, m.text || 'extra', {
          value: m.junk,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else parent.push(m.junk);
      return root;
    }
  }
  if (path.length === 0) return replacement;
  const parent = path
    .slice(0, -1)
    .reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root);
  (parent as Record<string | number, unknown>)[path[path.length - 1]!] = replacement;
  return root;
}

/** A copy of `valid` with the mutations applied in order. */
export function mutate(valid: unknown, mutations: readonly Mutation[]): unknown {
  let out: unknown = valid === undefined ? undefined : structuredClone(valid);
  for (const m of mutations) out = out === undefined ? m.junk : applyOne(out, m);
  return out;
}

/** Valid values from `valid`, each damaged in one to three places. */
export function mutated<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc
    .tuple(valid, fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
    .map(([v, ms]) => mutate(v, ms));
}
