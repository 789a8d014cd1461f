/**
 * Hostile input behind an established session: damaged envelopes (JSON and binary form) against the session
 * layer, and, inside valid envelopes, hostile plaintexts against every peer route of every bundled plugin
 * (enumerated from the live route table). Sealed answers are opened with A's keys and judged by what the
 * plugin really answered.
 */
import fc from 'fast-check';
import { SESSION_HEADER } from '../../core/p2p/sessions/wire.js';
import { HttpProbe, judge, judgeBody, type Probe } from './lib/http-probe.js';
import {
  pluginRoutes,
  startFuzzCommunity,
  type FuzzCommunity,
  type PluginRoute,
} from './lib/fuzz-community.js';
import { deepJsonText, junkJson, nastyString } from './lib/junk.js';
import { mutate, mutated, mutationArb } from './lib/mutate.js';
import { fcParams, httpRuns } from './lib/runs.js';
import { SealedClient, type WireForm } from './lib/sealed-client.js';
import { fromSchema } from './lib/schema-arbitrary.js';
import { record, flushReport } from './lib/tally.js';

describe('fuzz: session layer and sealed peer routes', function () {
  this.timeout(0); // bounded by the run count; every request has its own deadline
  let f: FuzzCommunity;
  let p2p: HttpProbe;
  let client: SealedClient;

  before(async () => {
    f = await startFuzzCommunity();
    p2p = new HttpProbe(f.b.urls.p2p!);
    client = new SealedClient(f.a.sessions!.current(f.b.id)!);
  });
  afterEach(() => flushReport());
  after(async () => {
    await p2p?.close();
    await f?.close();
    flushReport();
  });

  /** Sends a sealed request and judges the answer, opening it when the session layer sealed it. */
  const sendSealed = async (target: string, probe: Probe, counter: string): Promise<void> => {
    const answer = await p2p.send(probe);
    if (typeof answer === 'string') return judge(target, answer, probe);
    const opened = client.open(answer, probe.method, probe.path, counter);
    if (!opened) return judge(target, answer, probe);
    if ('opaque' in opened) {
      if (opened.status >= 500)
        throw new Error(`server error ${opened.status} (bytes answer) for ${probe.path}`);
      record(target, `${opened.status} (bytes)`);
      return;
    }
    judgeBody(target, opened.status, opened.text, 'application/json', probe);
  };

  const form = fc.constantFrom<WireForm>('json', 'binary');
  const validMessage = () =>
    fromSchema(pluginRoutes(f.b, 'p2p').find((r) => r.path === '/p2p/message')?.body).map((b) =>
      Buffer.from(JSON.stringify({ b })),
    );

  it('damaged JSON envelopes', async () => {
    const target = 'POST /p2p/message (damaged JSON envelope)';
    const cases = fc.record({
      plain: validMessage(),
      damage: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
      session: fc.oneof(
        { weight: 6, arbitrary: fc.constant<string | undefined>(undefined) },
        { weight: 1, arbitrary: nastyString.map((s) => s.replace(/[^\x20-\x7e]/g, '')) },
      ),
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ plain, damage, session }) => {
        const { probe, counter } = client.seal('POST', '/p2p/message', plain, 'json');
        const envelope = mutate(JSON.parse(probe.body as string), damage);
        probe.body = JSON.stringify(envelope) ?? '';
        if (session !== undefined) probe.headers![SESSION_HEADER] = session;
        await sendSealed(target, probe, counter);
      }),
      fcParams(httpRuns()),
    );
  });

  it('damaged binary envelopes', async () => {
    const target = 'POST /p2p/message (damaged binary envelope)';
    // Epoch and counter are the first 12 bytes of the body: any u32 / u64 may be written there.
    const cases = fc.record({
      plain: validMessage(),
      epoch: fc.option(fc.nat({ max: 0xffff_ffff }), { nil: undefined }),
      counter: fc.option(
        fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.constantFrom(0n, 2n ** 53n, 2n ** 64n - 1n)),
        { nil: undefined },
      ),
      flip: fc.nat(),
      cut: fc.nat(),
      extra: fc.uint8Array({ maxLength: 32 }),
    });
    await fc.assert(
      fc.asyncProperty(cases, async ({ plain, epoch, counter: n, flip, cut, extra }) => {
        const { probe, counter } = client.seal('POST', '/p2p/message', plain, 'binary');
        const body = Buffer.from(probe.body as Buffer);
        if (epoch !== undefined) body.writeUInt32BE(epoch, 0);
        if (n !== undefined) body.writeBigUInt64BE(n, 4);
        probe.body = body;
        switch (flip % 4) {
          case 0:
            body[flip % body.length]! ^= 1 << (flip % 8);
            break;
          case 1:
            probe.body = body.subarray(0, cut % (body.length + 1));
            break;
          case 2:
            probe.body = Buffer.concat([body, extra]);
            break;
          default:
            break;
        }
        await sendSealed(target, probe, counter);
      }),
      fcParams(httpRuns()),
    );
  });

  /** Plaintexts for one route: its valid bodies, damaged bodies, junk, and plaintexts that are not `{b, h}`. */
  const plaintexts = (route: PluginRoute): fc.Arbitrary<Buffer> => {
    const body = fromSchema(route.body);
    const h = fc.dictionary(nastyString, nastyString, { maxKeys: 3 });
    return fc
      .oneof(
        { weight: 2, arbitrary: body.map((b) => ({ b })) },
        { weight: 4, arbitrary: fc.record({ b: mutated(body), h: fc.option(h, { nil: undefined }) }) },
        { weight: 1, arbitrary: fc.record({ b: junkJson, h: junkJson }) },
        { weight: 1, arbitrary: junkJson },
      )
      .map((v) => Buffer.from(JSON.stringify(v) ?? 'null'))
      .chain((b) =>
        fc.oneof(
          { weight: 8, arbitrary: fc.constant(b) },
          { weight: 1, arbitrary: deepJsonText.map((t) => Buffer.from(`{"b":${t}}`)) },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)) },
        ),
      );
  };

  it('every peer route of every bundled plugin, inside valid envelopes', async function () {
    const routes = pluginRoutes(f.b, 'p2p');
    if (routes.length === 0) this.skip();
    const failures: string[] = [];
    for (const route of routes) {
      const target = `${route.method} ${route.path} (sealed)`;
      const params = fromSchema(route.params ?? { type: 'object' }) as fc.Arbitrary<Record<string, unknown>>;
      try {
        await fc.assert(
          fc.asyncProperty(plaintexts(route), form, params, async (plain, wire, p) => {
            const path = route.path.replace(/:([A-Za-z_]+)/g, (_, n: string) =>
              encodeURIComponent(String(p[n] ?? 'x')),
            );
            const { probe, counter } = client.seal(route.method, path, plain, wire);
            await sendSealed(target, probe, counter);
          }),
          fcParams(httpRuns()),
        );
      } catch (err) {
        failures.push(`${target}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(failures.join('\n\n'));
  });
});
