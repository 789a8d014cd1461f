/**
 * Hostile input against every owner-API route of every bundled plugin, enumerated from the live route
 * table (so a route added to a plugin is fuzzed without touching this file).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/node-harness.js';
import { HttpProbe } from './lib/http-probe.js';
import { FUZZ_MAX_BODY, pluginRoutes, startFuzzCommunity, type FuzzCommunity } from './lib/fuzz-community.js';
import { fuzzRoutes } from './lib/fuzz-routes.js';
import { httpRuns } from './lib/runs.js';
import { flushReport } from './lib/tally.js';

const BUNDLED = readdirSync(join(repoRoot, 'plugins'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  // Monitoring first: its audit-log check reads the whole log, which every other plugin's fuzzing grows.
  .sort((x, y) => Number(y === 'monitoring') - Number(x === 'monitoring') || x.localeCompare(y));

describe('fuzz: owner API routes of the bundled plugins', function () {
  this.timeout(0); // bounded by the run count; every request has its own deadline
  let f: FuzzCommunity;
  let api: HttpProbe;

  before(async () => {
    f = await startFuzzCommunity();
    api = new HttpProbe(f.b.urls.api!);
  });
  afterEach(() => flushReport());
  after(async () => {
    await api?.close();
    await f?.close();
    flushReport();
  });

  for (const plugin of BUNDLED) {
    it(`${plugin}: every /api route`, async function () {
      const routes = pluginRoutes(f.b, 'api').filter((r) => r.plugin === plugin);
      if (routes.length === 0) this.skip();
      await fuzzRoutes(
        api,
        routes.map((r) => ({ ...r, maxBody: FUZZ_MAX_BODY })),
        httpRuns(),
      );
    });
  }
});
