import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { definePlugin, errors } from '@openred/plugin-sdk';
import { checkCipher, createTestNode, createTestPair, ManualClock } from '@openred/plugin-sdk/testing';

const ECHO = resolve(import.meta.dirname, '../../fixtures/plugins/echo');

const notes = definePlugin({
  name: 'kit-notes',
  version: '1.0.0',
  config: { type: 'object', properties: { prefix: { type: 'string', default: '>' } } } as const,
  async setup(ctx) {
    const store = await ctx.storage.collection<{ notes: string[] }>('notes', { notes: [] });
    ctx.api.post(
      '/kit/notes',
      { body: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } } as const },
      async (req) => {
        store.data.notes.push(`${ctx.config.prefix}${req.body.text}`);
        await store.commit();
        ctx.events.emit('kit.noted', { text: req.body.text });
        return { count: store.data.notes.length };
      },
    );
    ctx.api.get('/kit/now', () => ({ now: ctx.clock.now() }));
    ctx.p2p.post('/kit/ping', (req) => ({ from: req.peer }));
    ctx.p2p.get('/kit/fail', () => {
      throw errors.conflict('OR_ERR_KIT', 'nope');
    });
  },
});

describe('SDK testing kit', () => {
  it('runs a definition object: owner routes, config, storage, events and the clock', async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const t = await createTestNode({ plugin: notes, config: { prefix: '#' }, clock });
    try {
      const seen = t.events<{ text: string }>('kit.noted');
      const res = await t.owner.post<{ count: number }>('/kit/notes', { text: 'hi' });
      expect(res.status).to.equal(200);
      expect(res.body.count).to.equal(1);
      expect((await seen.waitFor(1))[0]).to.deep.equal({ text: 'hi' });
      expect(await t.storage().read('notes')).to.deep.equal({ notes: ['#hi'] });
      expect(await t.storage().list()).to.deep.equal(['notes']);
      expect((await t.owner.post('/kit/notes', {})).status).to.equal(400);
      clock.advance(5_000);
      expect((await t.owner.get<{ now: number }>('/kit/now')).body.now).to.equal(
        Date.UTC(2030, 0, 1) + 5_000,
      );
      expect(t.status()?.state).to.equal('active');
    } finally {
      await t.close();
    }
  });

  it('calls p2p routes as a peer through a real session', async () => {
    const { alice, bob, close } = await createTestPair({ plugin: notes });
    try {
      const res = await alice.request<{ from: string }>(bob, 'POST', '/kit/ping', {});
      expect(res.status).to.equal(200);
      expect(res.body.from).to.equal(alice.id);
      const fail = await bob.request<{ error: { code: string } }>(alice.id, 'GET', '/kit/fail');
      expect(fail.status).to.equal(409);
      expect(fail.body.error.code).to.equal('OR_ERR_KIT');
    } finally {
      await close();
    }
  });

  it('loads a plugin folder and reloads it', async () => {
    const t = await createTestNode({ pluginDir: ECHO });
    try {
      expect(t.pluginName).to.equal('echo');
      expect((await t.owner.get('/echo/count')).body).to.deep.equal({ received: 0 });
      await t.reload();
      expect(t.status()?.reloads).to.be.greaterThan(0);
    } finally {
      await t.close();
    }
  });

  it('hot-reloads an edited plugin folder when asked to', async () => {
    const root = await mkdtemp(join(tmpdir(), 'openred-kit-'));
    const dir = join(root, 'echo');
    await cp(ECHO, dir, { recursive: true });
    const t = await createTestNode({ pluginDir: dir, hotReload: true });
    try {
      const entry = join(dir, 'index.ts');
      await writeFile(
        entry,
        (await readFile(entry, 'utf8')).replace('({ received })', '({ received, v: 2 })'),
      );
      let v: number | undefined;
      for (let i = 0; i < 100 && v !== 2; i++) {
        v = (await t.owner.get<{ v?: number }>('/echo/count')).body.v;
        if (v !== 2) await new Promise((r) => setTimeout(r, 30));
      }
      expect(v).to.equal(2);
    } finally {
      await t.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('sends the owner login to every owner call', async () => {
    const seen: Array<string | undefined> = [];
    const whoami = definePlugin({
      name: 'kit-whoami',
      version: '1.0.0',
      setup(ctx) {
        ctx.api.get('/kit/auth', (req) => {
          seen.push(req.headers.authorization as string | undefined);
          return {};
        });
      },
    });
    const t = await createTestNode({ plugin: whoami, ownerLogin: async () => 'Bearer test-token' });
    try {
      expect((await t.owner.get('/kit/auth')).status).to.equal(200);
      expect(seen).to.deep.equal(['Bearer test-token']);
    } finally {
      await t.close();
    }
  });

  it('refuses ambiguous options and checks cipher methods', async () => {
    let failed = false;
    await createTestNode({}).catch(() => (failed = true));
    expect(failed).to.equal(true);
    const broken = {
      id: 'broken',
      keyLength: 32,
      nonceLength: 12,
      seal: (_k: Uint8Array, _n: Uint8Array, p: Uint8Array) => p,
      open: (_k: Uint8Array, _n: Uint8Array, c: Uint8Array) => c,
    };
    expect(() => checkCipher(broken, [])).to.throw(/broken/);
  });
});
