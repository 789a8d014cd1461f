import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AgentClient } from '../../../core/crypto/agent/agent-client.js';
import { planAgentLaunch, resolveIsolation } from '../../../core/crypto/agent/sandbox.js';
import { caught, makeDirectory, tempDir, TEST_SCRYPT } from './helpers.js';

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * An agent that keeps dying makes the client stop restarting it for a while (calls fail fast), not for good:
 * a node left without its crypto engine forever still looks alive to its supervisor and never recovers.
 */
describe('crypto agent: restarts after a crash loop', function () {
  this.timeout(60_000);
  const t = tempDir();
  after(() => t.cleanup());

  it('after too many deaths in the window, calls fail fast; once the window has passed it starts again', async function () {
    const level = resolveIsolation('auto');
    if (level === 'inline') this.skip(); // no sandbox on this host: no agent process to kill
    const keyDir = join(t.dir, 'keys');
    mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    const client = new AgentClient({
      plan: planAgentLaunch(level, { keyDir }),
      init: { dir: keyDir, directoryPublicKey: makeDirectory().publicKey, scrypt: TEST_SCRYPT },
      callTimeoutMs: 5_000,
      startTimeoutMs: 20_000,
      maxRestarts: 2,
      restartWindowMs: 3_000,
    });
    await client.start();
    try {
      // Three deaths in a row: two restarts are allowed in the window, the third death is one too many.
      for (let i = 0; i < 3; i++) {
        await waitFor(
          () =>
            client.call('diagnostics', {}).then(
              () => true,
              () => false,
            ),
          `agent ${i} answering`,
        );
        const pid = client.pid!;
        process.kill(pid, 'SIGKILL');
        await waitFor(() => client.pid !== pid, `agent ${i} gone`);
      }
      const meanwhile = await caught(() => client.call('diagnostics', {}));
      expect(meanwhile.code).to.equal('OR_ERR_AGENT_UNAVAILABLE');
      await waitFor(
        () =>
          client.call('diagnostics', {}).then(
            () => true,
            () => false,
          ),
        'the agent to be started again after the window',
      );
    } finally {
      await client.stop();
    }
  });
});
