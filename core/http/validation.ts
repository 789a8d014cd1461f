import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ValidationError } from '../errors.js';

// ajv-formats is CJS; under NodeNext its default export arrives wrapped.
const addFormats =
  (addFormatsModule as unknown as { default: typeof addFormatsModule }).default ?? addFormatsModule;

/**
 * One shared ajv instance: schemas are compiled once and cached by identity. `removeAdditional` is off —
 * unknown properties are refused by schemas that say `additionalProperties: false`, not silently dropped.
 */
export const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true, coerceTypes: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);

const cache = new WeakMap<object, ValidateFunction>();

export function compile<T = unknown>(schema: object): ValidateFunction<T> {
  let fn = cache.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    cache.set(schema, fn);
  }
  return fn as ValidateFunction<T>;
}

/** "body/retry/maxAttempts must be >= 1" for every problem, paths joined with `sep`. */
export function describeErrors(errors: ErrorObject[] | null | undefined, root: string, sep = '/'): string[] {
  return (errors ?? []).map((e) => {
    const segments = e.instancePath.split('/').slice(1).map(unescapePointer);
    if (e.keyword === 'required') segments.push((e.params as { missingProperty: string }).missingProperty);
    if (e.keyword === 'additionalProperties') {
      segments.push((e.params as { additionalProperty: string }).additionalProperty);
      return `${[root, ...segments].filter(Boolean).join(sep)} is not allowed`;
    }
    const where = [root, ...segments].filter(Boolean).join(sep);
    const message = e.keyword === 'required' ? 'is required' : (e.message ?? 'is invalid');
    return `${where} ${message}`;
  });
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Validates `value` against `schema` or throws a 400 ValidationError listing every problem. */
export function assertValid<T>(schema: object, value: unknown, root = 'body'): T {
  const validate = compile<T>(schema);
  if (!validate(value)) {
    const problems = describeErrors(validate.errors, root);
    throw new ValidationError(problems.join('; '), problems);
  }
  return value;
}
