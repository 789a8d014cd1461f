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

/**
 * The instance for the kernel's own documents (config file, plugin manifests, module settings): defaults
 * live inside oneOf/additionalProperties there, which strict mode (rightly) refuses for request schemas.
 * Shared because every Ajv instance compiles the draft-07 meta-schema when created, which shows at start-up.
 */
export const documentAjv = new Ajv({ allErrors: true, useDefaults: true, strict: false });

/**
 * A compile function for `instance` that reuses validators by schema *content*. Hot reload hands over a new
 * schema object on every load, and ajv keeps every schema it ever compiled reachable from the instance
 * (its code-generation scope), even after `removeSchema`: compiling per object grew the heap by ~30 KB per
 * route schema per reload. Keyed by JSON text, an unchanged schema compiles once. `removeSchema` still runs
 * so that a changed schema with the same `$id` can be compiled again.
 */
export function cachedCompiler(instance: Ajv): <T = unknown>(schema: object) => ValidateFunction<T> {
  const byObject = new WeakMap<object, ValidateFunction>();
  const byText = new Map<string, ValidateFunction>();
  return <T>(schema: object): ValidateFunction<T> => {
    let fn = byObject.get(schema);
    if (!fn) {
      const text = JSON.stringify(schema);
      fn = byText.get(text);
      if (!fn) {
        fn = instance.compile(schema);
        instance.removeSchema(schema);
        byText.set(text, fn);
      }
      byObject.set(schema, fn);
    }
    return fn as ValidateFunction<T>;
  };
}

export const compile = cachedCompiler(ajv);

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
