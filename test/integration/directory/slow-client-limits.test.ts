import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDirectory, type RunningDirectory } from '../../../core/directory/start.js';
import { silentLogger } from '../../../core/kernel/logger.js';

describe('directory: configurable slow-client timeouts', () => {
  let dir: string;
  let directory: RunningDirectory | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openred-dir-limits-'));
  });
  afterEach(async () => {
    await directory?.stop();
    directory = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('closes a client that never finishes its headers after limits.headersTimeoutMs, with a coded 408', async () => {
    directory = await startDirectory(
      {
        port: 0,
        host: '127.0.0.1',
        dataDir: join(dir, 'directory'),
        limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
      },
      { logger: silentLogger() },
    );
    const socket = connect(directory.port, '127.0.0.1');
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '); // never completed
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      // Bounded: with the default 10 s headers timeout this would fail.
      setTimeout(() => {
        socket.destroy();
        reject(new Error('still open after 5 s'));
      }, 5000).unref();
    });
    expect(answer).to.match(/^HTTP\/1\.1 408/);
    expect(answer).to.include('"code":"OR_ERR_REQUEST_TIMEOUT"');
  });

  it('refuses a headers timeout longer than the request timeout', async () => {
    let error: unknown;
    await startDirectory(
      { port: 0, dataDir: join(dir, 'd2'), limits: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } },
      { logger: silentLogger() },
    ).catch((err: unknown) => (error = err));
    expect(error).to.have.property('message').that.includes('headersTimeoutMs (5000) must not exceed');
  });
});
