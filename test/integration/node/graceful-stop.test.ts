import { expect } from 'chai';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { httpRequest, pollUntil, startNode, Workspace } from '../../helpers/node-harness.js';

const g = globalThis as unknown as {
  __openredStop?: { events: string[]; release?: () => void; started?: () => void };
};

const plugin = `import { definePlugin } from '@openred/plugin-sdk';
const s = () => (globalThis as any).__openredStop;
export default definePlugin({
  name: 'draining',
  version: '1.0.0',
  async setup(ctx) {
    const notes = await ctx.storage.collection<{ notes: string[] }>('notes', { notes: [] });
    ctx.api.get('/draining/wait', async () => {
      s().events.push('request start');
      s().started();
      await new Promise<void>((r) => (s().release = r));
      s().events.push('request end');
      return { finished: true };
    });
    ctx.api.get('/draining/ping', () => ({ pong: true }));
    // A teardown that writes late, without waiting for the write: stop must still flush it.
    return async () => {
      await new Promise((r) => setTimeout(r, 20));
      s().events.push('teardown');
      notes.data.notes.push('written during teardown');
      void notes.commit();
    };
  },
});
`;

describe('node: graceful stop', () => {
  it('stops accepting, drains the in-flight request, then tears plugins down and flushes their data', async () => {
    const ws = await Workspace.create();
    const agent = new http.Agent({ keepAlive: true });
    try {
      await ws.writePlugin('draining', plugin);
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      g.__openredStop = { events: [], started };
      const t = await startNode(ws);
      // A keep-alive connection: stopping must not wait for its idle timeout either.
      expect((await httpRequest(`${t.api}/api/draining/ping`, { agent })).status).to.equal(200);
      const inflight = httpRequest(`${t.api}/api/draining/wait`, { agent });
      await running;
      const t0 = performance.now();
      const stopping = t.stop();
      // New connections are refused while the in-flight request still runs.
      await pollUntil(
        async () => {
          try {
            await httpRequest(`${t.api}/api/draining/ping`, { timeoutMs: 1000 });
            return false;
          } catch (err) {
            return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
          }
        },
        { what: 'the listener to close' },
      );
      expect(g.__openredStop.events).to.deep.equal(['request start']);
      g.__openredStop.release!();
      const res = await inflight;
      expect(res.status).to.equal(200);
      expect(res.json).to.deep.equal({ finished: true });
      await stopping;
      expect(performance.now() - t0).to.be.lessThan(3000);
      expect(g.__openredStop.events).to.deep.equal(['request start', 'request end', 'teardown']);
      const stored = JSON.parse(
        await readFile(join(ws.dataDir, 'plugins', 'draining', 'notes.json'), 'utf8'),
      ) as { notes: string[] };
      expect(stored.notes).to.deep.equal(['written during teardown']);
    } finally {
      agent.destroy();
      delete g.__openredStop;
      await ws.cleanup();
    }
  });
});
