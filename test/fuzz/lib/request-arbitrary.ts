/**
 * Fuzz requests for one route: valid inputs generated from its schemas, the same inputs damaged in a few
 * places, junk bodies, wrong content types and methods, oversized bodies, hostile path parameters, query
 * strings and headers.
 */
import fc from 'fast-check';
import { junkBodyText, junkContentType, junkJson, nastyString } from './junk.js';
import { mutated } from './mutate.js';
import { fromSchema, type Schema } from './schema-arbitrary.js';
import type { Probe } from './http-probe.js';

export interface RouteSpec {
  method: string;
  /** Surface-absolute path, `:name` for parameters, e.g. `/api/messages/:id`. */
  path: string;
  params?: Schema;
  query?: Schema;
  body?: Schema;
  /** Valid bodies when the schema alone cannot make them (signed requests); default: from `body`. */
  validBody?: fc.Arbitrary<unknown>;
  /** Applied to (possibly damaged) bodies half of the time, e.g. to sign them so checks past the signature run. */
  finish?: (body: unknown) => unknown;
  /** Headers a valid request needs (signatures); damaged like everything else. */
  validHeaders?: (path: string) => Record<string, string>;
  /** The endpoint's body limit: the fuzzer sends bodies just over it. */
  maxBody: number;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
const HEADER_NAMES = [
  'authorization',
  'openred-session',
  'openred-envelope',
  'openred-node',
  'openred-ts',
  'openred-sig',
  'x-forwarded-for',
  'accept',
  'content-encoding',
  'cookie',
  'origin',
  'host',
];

/** Header values the HTTP client can send: printable ASCII only (anything else never reaches the server). */
const headerValue = nastyString.map((s) => s.replace(/[^\x20-\x7e]/g, '').slice(0, 8000));
const junkHeaders = fc.dictionary(fc.constantFrom(...HEADER_NAMES), headerValue, { maxKeys: 3 });

/** encodeURIComponent that survives lone surrogates (they become U+FFFD, as any UTF-8 encoder does). */
function encodePart(s: string): string {
  return encodeURIComponent(
    s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'),
  );
}

function fillPath(path: string, params: Record<string, unknown>): string {
  return path.replace(/:([A-Za-z_]+)/g, (_, name: string) => encodePart(String(params[name] ?? '')));
}

function queryString(q: unknown): string {
  if (typeof q !== 'object' || q === null) return '';
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    for (const one of Array.isArray(v) ? v : [v])
      sp.append(k, typeof one === 'string' ? one : JSON.stringify(one));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}

export function probesFor(route: RouteSpec): fc.Arbitrary<Probe> {
  const validParams = fromSchema(route.params ?? { type: 'object' }) as fc.Arbitrary<Record<string, unknown>>;
  const hostileParams = fc.dictionary(
    fc.constantFrom(...(route.path.match(/:[A-Za-z_]+/g) ?? [':x']).map((p) => p.slice(1))),
    nastyString,
  );
  const params = fc.oneof(validParams, hostileParams);
  const validQuery = route.query ? fromSchema(route.query) : fc.constant({});
  const query = fc.oneof(
    { weight: 3, arbitrary: validQuery.map(queryString) },
    { weight: 2, arbitrary: mutated(validQuery).map(queryString) },
    {
      weight: 1,
      arbitrary: fc
        .string({ unit: 'binary', maxLength: 80 })
        .map((s) => `?${encodePart(s)}=${encodePart(s)}&a=1&a=2`),
    },
  );
  const valid = route.validBody ?? (route.body ? fromSchema(route.body) : fc.constant(undefined));
  const finish = route.finish ?? ((b: unknown) => b);
  const jsonBody = fc.oneof(
    { weight: 2, arbitrary: valid.map((b) => finish(b)) },
    {
      weight: 4,
      arbitrary: fc.tuple(mutated(valid), fc.boolean()).map(([b, sign]) => (sign ? finish(b) : b)),
    },
    { weight: 1, arbitrary: junkJson },
  );
  const body: fc.Arbitrary<{ body?: string | Buffer; type?: string }> = fc.oneof(
    {
      weight: 6,
      arbitrary: jsonBody.map((b) => ({ body: JSON.stringify(b) ?? undefined, type: 'application/json' })),
    },
    { weight: 2, arbitrary: fc.record({ body: junkBodyText, type: junkContentType }) },
    {
      weight: 1,
      arbitrary: jsonBody.chain((b) =>
        junkContentType.map((type) => ({ body: JSON.stringify(b) ?? '', type })),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 1, max: 4096 })
        .map((extra) => ({ body: 'x'.repeat(route.maxBody + extra), type: 'application/json' })),
    },
    { weight: 1, arbitrary: fc.constant({}) },
  );
  const method = fc.oneof(
    { weight: 8, arbitrary: fc.constant(route.method) },
    { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
  );
  const signedHeaders = fc.oneof(fc.constant(true), fc.constant(false));
  return fc
    .record({
      method,
      params,
      query,
      body,
      headers: junkHeaders,
      signed: signedHeaders,
      damageHeader: fc.nat(),
    })
    .map(({ method, params, query, body, headers, signed, damageHeader }) => {
      const path = fillPath(route.path, params) + query;
      const all: Record<string, string> = {};
      if (signed && route.validHeaders) Object.assign(all, route.validHeaders(path));
      const names = Object.keys(all);
      if (names.length > 0 && damageHeader % 3 === 0) all[names[damageHeader % names.length]!] += 'x';
      Object.assign(all, headers);
      if (body.type !== undefined) all['content-type'] = body.type;
      const bodyless = method === 'GET' || method === 'HEAD';
      return { method, path, headers: all, body: bodyless ? undefined : body.body };
    });
}
