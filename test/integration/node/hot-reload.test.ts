import { expect } from 'chai';
import http from 'node:http';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenRedUserConfig } from '../../../core/config/types.js';
import {
  captureLogger,
  httpRequest,
  markerPlugin,
  pollUntil,
  startNode,
  Workspace,
  type TestNode,
} from '../../helpers/node-harness.js';

interface SlowState {
  events: string[];
  gate: Promise<void>;
  started: () => void;
}
const g = globalThis as unknown as { __openredSlow?: SlowState; __openredTeardowns?: number[] };

/** A plugin whose /slow/wait route blocks on a gate the test controls, and which records its teardown. */
const slowPlugin = (v: number) => `import { definePlugin } from '@openred/plugin-sdk';
const s = () => (globalThis as any).__openredSlow;
export default definePlugin({
  name: 'slow',
  version: '1.0.${v}',
  setup(ctx) {
    ctx.api.get('/slow/wait', async () => {
      s().events.push('start v${v}');
      s().started();
      await s().gate;
      s().events.push('end v${v}');
      return { v: ${v} };
    });
    ctx.api.get('/slow/version', () => ({ v: ${v} }));
    return () => { s().events.push('teardown v${v}'); };
  },
});
`;

/** A plugin that counts its teardowns per version. */
const livePlugin = (v: number) =>
  markerPlugin(
    'live',
    v,
    `ctx.onTeardown(() => { ((globalThis as any).__openredTeardowns ??= []).push(${v}); });`,
  );

describe('node: hot reload', function () {
  this.timeout(60_000);
  let ws: Workspace;
  let t: TestNode;
  const { log, lines } = captureLogger('warn');
  const config = (modules: OpenRedUserConfig['modules'] = {}): OpenRedUserConfig =>
    ws.baseConfig({ plugins: { hotReload: true }, modules });
  const marker = async (name: string): Promise<unknown> =>
    ((await t.request('api', `/api/${name}`)).json as { marker?: unknown } | undefined)?.marker;
  const status = async (name: string) => (await t.plugins()).plugins.find((p) => p.name === name);

  before(async () => {
    ws = await Workspace.create();
    for (const name of ['edited', 'broken', 'throwing', 'toggled', 'entry', 'manifest']) {
      await ws.writePlugin(name, markerPlugin(name, 1));
    }
    await ws.writePlugin('live', livePlugin(0));
    await ws.writePlugin('helper', {
      source: `import { definePlugin } from '@openred/plugin-sdk';
import { word } from './lib/word.ts';
export default definePlugin({ name: 'helper', version: '1.0.0', setup(ctx) {
  ctx.api.get('/helper', () => ({ marker: word }));
} });
`,
      files: { 'lib/word.ts': `export const word = 'first';\n` },
    });
    g.__openredSlow = { events: [], gate: Promise.resolve(), started: () => undefined };
    await ws.writePlugin('slow', slowPlugin(1));
    t = await startNode(ws, { fromFile: true, logger: log, config: { plugins: { hotReload: true } } });
  });

  after(async () => {
    await t?.stop();
    await ws?.cleanup();
    delete g.__openredSlow;
    delete g.__openredTeardowns;
  });

  it('serves the new code after a plugin file is edited', async () => {
    expect(await marker('helper')).to.equal('first');
    expect(await marker('edited')).to.equal(1);
    await ws.editPlugin('edited', markerPlugin('edited', 2));
    await pollUntil(async () => (await marker('edited')) === 2, { what: 'edited v2' });
    expect(await status('edited')).to.include({ state: 'active', reloads: 1, lastError: null });
  });

  it("reloads when a file the entry imports changes (the plugin's own modules are evaluated afresh)", async () => {
    await ws.writeFileAtomic(
      join(ws.pluginDir('helper'), 'lib', 'word.ts'),
      `export const word = 'second';\n`,
    );
    await pollUntil(async () => (await marker('helper')) === 'second', { what: 'helper reloaded' });
  });

  it('keeps the old version serving when the new one has a syntax error, and reports why', async () => {
    await ws.editPlugin('broken', 'export default definePlugin({ name: "broken", setup( {');
    const s = await pollUntil(
      async () => {
        const st = await status('broken');
        return st?.lastError ? st : undefined;
      },
      { what: 'lastError of broken' },
    );
    expect(s.state).to.equal('active');
    expect(s.lastError).to.contain(join(ws.pluginDir('broken'), 'index.ts'));
    expect(await marker('broken')).to.equal(1);
    // Fixing it loads the new version and clears the error.
    await ws.editPlugin('broken', markerPlugin('broken', 3));
    await pollUntil(async () => (await marker('broken')) === 3, { what: 'broken v3' });
    expect((await status('broken'))!.lastError).to.equal(null);
  });

  it('keeps the old version serving when the new one throws in setup', async () => {
    await ws.editPlugin('throwing', markerPlugin('throwing', 2, `throw new Error('v2 cannot start');`));
    await pollUntil(async () => (await status('throwing'))?.lastError === 'v2 cannot start', {
      what: 'setup error',
    });
    expect(await marker('throwing')).to.equal(1);
    expect((await status('throwing'))!.state).to.equal('active');
  });

  it('disabling a module in the config file takes its routes down; enabling it brings them back', async () => {
    await ws.writeConfig(config({ toggled: { enabled: false } }));
    await pollUntil(async () => (await t.request('api', '/api/toggled')).status === 404, {
      what: 'toggled off',
    });
    expect((await status('toggled'))!.state).to.equal('disabled');
    expect(await marker('edited')).to.equal(2); // the others are untouched
    await ws.writeConfig(config({ toggled: { enabled: true } }));
    await pollUntil(async () => (await marker('toggled')) === 1, { what: 'toggled back on' });
    expect((await status('toggled'))!.state).to.equal('active');
  });

  it('an invalid config edit is refused and the previous config stays in force', async () => {
    const before = lines.length;
    await writeFile(
      ws.configFile,
      'export default { crypto: { epochSeconds: 1 }, modules: { toggled: { enabled: false } } };\n',
    );
    const rejected = await pollUntil(
      () => lines.slice(before).find((l) => l.msg === 'config change rejected; keeping the previous config'),
      { what: 'the rejection to be logged' },
    );
    expect(rejected.problems).to.deep.equal(['crypto.epochSeconds must be >= 60']);
    expect(rejected.file).to.equal(ws.configFile);
    expect(await marker('toggled')).to.equal(1);
    await ws.writeConfig(config());
  });

  it('a new plugin folder is picked up, and a removed one stops being served', async () => {
    await ws.writePlugin('newcomer', markerPlugin('newcomer', 'hello'));
    await pollUntil(async () => (await marker('newcomer')) === 'hello', { what: 'newcomer served' });
    await rm(ws.pluginDir('newcomer'), { recursive: true, force: true });
    await pollUntil(async () => (await t.request('api', '/api/newcomer')).status === 404, {
      what: 'newcomer gone',
    });
    expect(await status('newcomer')).to.equal(undefined);
  });

  it('a package.json edit that changes the entry file reloads the plugin from it', async () => {
    await writeFile(join(ws.pluginDir('entry'), 'main.ts'), markerPlugin('entry', 'from main.ts'));
    await writeFile(
      join(ws.pluginDir('entry'), 'package.json'),
      JSON.stringify({
        name: 'openred-test-entry',
        version: '1.0.0',
        openred: { name: 'entry', entry: './main.ts' },
      }),
    );
    await pollUntil(async () => (await marker('entry')) === 'from main.ts', { what: 'entry from main.ts' });
  });

  it('a serving plugin whose package.json breaks keeps serving and reports the problem', async () => {
    await writeFile(join(ws.pluginDir('manifest'), 'package.json'), '{ "name": ');
    const s = await pollUntil(
      async () => {
        const st = await status('manifest');
        return st?.lastError ? st : undefined;
      },
      { what: 'manifest error' },
    );
    expect(s.lastError).to.match(/package\.json is not valid JSON/);
    expect(await marker('manifest')).to.equal(1);
    await writeFile(
      join(ws.pluginDir('manifest'), 'package.json'),
      JSON.stringify({ name: 'openred-test-manifest', version: '1.0.0', openred: { name: 'manifest' } }),
    );
    await pollUntil(async () => (await status('manifest'))?.lastError === null, { what: 'manifest fixed' });
    expect(await marker('manifest')).to.equal(1);
  });

  it('runs the old teardown only after the requests it was serving have finished', async () => {
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    g.__openredSlow = { events: [], gate: new Promise<void>((r) => (release = r)), started };
    const slow = t.request('api', '/api/slow/wait');
    await running;
    await ws.editPlugin('slow', slowPlugin(2));
    await pollUntil(
      async () => ((await t.request('api', '/api/slow/version')).json as { v: number }).v === 2,
      { what: 'slow v2 served' },
    );
    // v2 serves new requests while the v1 request is still running: v1 is not torn down yet.
    expect(g.__openredSlow.events).to.deep.equal(['start v1']);
    release();
    const res = await slow;
    expect(res.status).to.equal(200);
    expect(res.json).to.deep.equal({ v: 1 });
    await pollUntil(() => g.__openredSlow!.events.includes('teardown v1'), { what: 'teardown v1' });
    expect(g.__openredSlow.events).to.deep.equal(['start v1', 'end v1', 'teardown v1']);
  });

  it('serves requests continuously through 20 reloads with zero failures, and tears every old version down', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const seen = new Set<unknown>();
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 200_000 && !stop; i++) {
        try {
          const r = await httpRequest(`${t.api}/api/live`, { agent });
          if (r.status === 200) {
            ok++;
            seen.add((r.json as { marker: unknown }).marker);
          } else failures.push(`${r.status} ${r.text}`);
        } catch (err) {
          failures.push(String(err));
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    try {
      for (let v = 1; v <= 20; v++) {
        await ws.editPlugin('live', livePlugin(v));
        await pollUntil(async () => (await marker('live')) === v, { what: `live v${v}`, timeoutMs: 15_000 });
      }
    } finally {
      stop = true;
      await Promise.all(workers);
      agent.destroy();
    }
    expect(failures).to.deep.equal([]);
    expect(ok).to.be.greaterThan(100);
    expect(seen.size).to.be.greaterThan(10); // the load really ran across the versions
    expect((await status('live'))!.reloads).to.equal(20);
    await pollUntil(() => (g.__openredTeardowns?.length ?? 0) >= 20, { what: '20 teardowns' });
    expect([...g.__openredTeardowns!].sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: 20 }, (_, i) => i),
    );
  });
});
