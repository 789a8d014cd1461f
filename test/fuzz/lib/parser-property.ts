/**
 * The parser property: for every input, the parser returns, or throws an OpenRed error with a stable
 * `OR_ERR_*` code. A TypeError, RangeError, SyntaxError or any other uncoded error is a finding: it would
 * surface as a 500 (or worse, an unhandled rejection) wherever the parser meets untrusted input.
 */
import fc from 'fast-check';
import { isOpenRedError } from '../../../core/errors.js';
import { fcParams } from './runs.js';
import { record } from './tally.js';

const CODE = /^OR_ERR_[A-Z0-9_]+$/;

export async function fuzzParser<T>(
  target: string,
  inputs: fc.Arbitrary<T>,
  parse: (input: T) => unknown,
  runs: number,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(inputs, async (input) => {
      try {
        await parse(input);
        record(target, 'ok');
      } catch (err) {
        if (!isOpenRedError(err) || !CODE.test(err.code)) {
          const e = err as Error;
          throw new Error(
            `${target} threw an uncoded ${e?.name ?? typeof err}: ${e?.message ?? String(err)}`,
          );
        }
        record(target, err.code);
      }
    }),
    fcParams(runs),
  );
}
