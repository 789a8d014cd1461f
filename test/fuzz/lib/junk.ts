/**
 * Hostile values: the building blocks every fuzz property draws from. Wrong types, extreme numbers, unicode
 * (including lone surrogates and control characters), long strings, deep nesting and damaged base64url.
 */
import fc from 'fast-check';

/** Numbers a parser should refuse or survive: negative, fractional, beyond 2^53 and 2^64, tiny, -0. */
export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(-1, -0, 0.5, 2 ** 53, 2 ** 53 + 2, 2 ** 64, -(2 ** 63), 1e308, -1e308, 5e-324, 4294967296),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Strings: any code point including lone surrogates, control characters, path and markup tricks. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\uD800',
    '\uFFFF',
    '../../etc/passwd',
    '/etc/passwd',
    'C:\\Windows',
    '%00',
    '%2e%2e%2f',
    '__proto__',
    'constructor',
    'toString',
    '<script>',
    '${jndi:x}',
    'or' + 'a'.repeat(32),
    'NaN',
    'Infinity',
    '-1',
    '1e999',
    'true',
    'null',
  ),
  fc.integer({ min: 1000, max: 70_000 }).map((n) => 'A'.repeat(n)),
);

/** Any JSON-compatible value, with nasty leaves. */
export const junkJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyString,
    nastyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(nastyString, fc.constantFrom('__proto__', 'v', 'e', 'n', 'ct')), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

/** JSON text nested `depth` levels deep (arrays or objects), to probe depth limits and recursion. */
export const deepJsonText: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 5, max: 20_000 }), fc.boolean())
  .map(([depth, objects]) =>
    objects ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth),
  );

/** A damaged base64url string: truncated, a flipped bit, padded, or with characters of another alphabet. */
export function damageB64u(s: string, pick: number): string {
  const at = s.length === 0 ? 0 : pick % s.length;
  switch (pick % 6) {
    case 0:
      return s.slice(0, at);
    case 1: {
      const bytes = Buffer.from(s, 'base64url');
      if (bytes.length > 0) bytes[pick % bytes.length]! ^= 1 << (pick % 8);
      return bytes.toString('base64url');
    }
    case 2:
      return s + '==';
    case 3:
      return s.slice(0, at) + '+/' + s.slice(at);
    case 4:
      return s.slice(0, at) + s.slice(at + 1) + 'B';
    default:
      return s + s;
  }
}

/** A raw body that is not the JSON the route expects, as text or bytes. */
export const junkBodyText: fc.Arbitrary<string | Buffer> = fc.oneof(
  junkJson.map((v) => JSON.stringify(v) ?? 'null'),
  junkJson.map((v) => (JSON.stringify(v) ?? 'null').slice(0, -1)),
  deepJsonText,
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('', '{', '}', '[', '"', 'null', '{"a":1,}', '{"__proto__":{"x":1}}', '\uFEFF{}', '1e999'),
);

/** Content types a client might (wrongly) send. undefined: no header at all. */
export const junkContentType: fc.Arbitrary<string | undefined> = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/json, text/plain',
  ';',
  'application/',
);
