/**
 * One property per endpoint: for `runs` generated requests, every answer is well-behaved (see judge()).
 * The endpoint name in the tally is `METHOD path-template`.
 */
import fc from 'fast-check';
import { type HttpProbe, judge, type Probe } from './http-probe.js';
import { probesFor, type RouteSpec } from './request-arbitrary.js';
import { fcParams } from './runs.js';

export async function fuzzEndpoint(probe: HttpProbe, route: RouteSpec, runs: number): Promise<void> {
  await fuzzProbes(probe, `${route.method} ${route.path}`, probesFor(route), runs, route.maxBody);
}

export async function fuzzProbes(
  probe: HttpProbe,
  target: string,
  probes: fc.Arbitrary<Probe>,
  runs: number,
  maxBody?: number,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(probes, async (p) => judge(target, await probe.send(p), p, maxBody)),
    fcParams(runs),
  );
}
