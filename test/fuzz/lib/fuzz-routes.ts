/**
 * Fuzzes a list of routes one after the other and reports every failing route together, so one finding does
 * not hide the next.
 */
import type { HttpProbe } from './http-probe.js';
import { fuzzEndpoint } from './fuzz-endpoint.js';
import type { RouteSpec } from './request-arbitrary.js';

export async function fuzzRoutes(probe: HttpProbe, routes: RouteSpec[], runs: number): Promise<void> {
  const failures: string[] = [];
  for (const route of routes) {
    try {
      await fuzzEndpoint(probe, route, runs);
    } catch (err) {
      const failure = `${route.method} ${route.path}: ${(err as Error).message}`;
      // Long runs report at the end; print each finding as soon as it is known too.
      console.error(`\n${failure}\n`);
      failures.push(failure);
    }
  }
  if (failures.length > 0) throw new Error(failures.join('\n\n'));
}
