/**
 * Values that satisfy a route's JSON Schema (the subset the bundled plugins use: type, enum, pattern,
 * min/max length, minimum/maximum, items, properties, required), so mutations of them start from inputs the
 * validator accepts and reach the handler. Strings with a pattern come from fast-check's `stringMatching`.
 */
import fc from 'fast-check';

export interface Schema {
  type?: string | string[];
  enum?: readonly unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: readonly string[];
  default?: unknown;
}

const MAX_STRING = 64;
const MAX_ITEMS = 4;

function stringOf(s: Schema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? MAX_STRING, MAX_STRING));
  if (s.pattern) {
    return fc
      .stringMatching(new RegExp(s.pattern))
      .filter((v) => v.length >= min && v.length <= (s.maxLength ?? Infinity));
  }
  return fc.string({ minLength: min, maxLength: max });
}

function numberOf(s: Schema, integer: boolean): fc.Arbitrary<number> {
  const min = Math.max(s.minimum ?? -1e6, Number.MIN_SAFE_INTEGER);
  const max = Math.min(s.maximum ?? 1e9, Number.MAX_SAFE_INTEGER);
  return integer
    ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
    : fc.double({ min, max, noNaN: true });
}

export function fromSchema(schema: Schema | undefined): fc.Arbitrary<unknown> {
  if (!schema) return fc.constant(undefined);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type ?? (schema.properties ? 'object' : undefined)) {
    case 'string':
      return stringOf(schema);
    case 'integer':
      return numberOf(schema, true);
    case 'number':
      return numberOf(schema, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(fromSchema(schema.items ?? {}), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? MAX_ITEMS, MAX_ITEMS)),
      });
    case 'object': {
      const props = schema.properties ?? {};
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) model[k] = fromSchema(v);
      const requiredKeys = (schema.required ?? []).filter((k) => k in model);
      return fc.record(model, { requiredKeys });
    }
    default:
      return fc.anything({ maxDepth: 2 });
  }
}
