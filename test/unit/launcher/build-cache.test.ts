import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pruneStale, writeContentAddressed } from '../../../core/bin/build-cache.js';

describe('launcher: build cache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openred-build-cache-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('names a build by its content: the same code is one file, other code another', () => {
    const a = writeContentAddressed(dir, 'cli', 'export const x = 1;');
    expect(writeContentAddressed(dir, 'cli', 'export const x = 1;')).to.equal(a);
    const b = writeContentAddressed(dir, 'cli', 'export const x = 2;');
    expect(b).to.not.equal(a);
    expect([existsSync(a), existsSync(b)]).to.deep.equal([true, true]);
    expect(a).to.match(/cli-[0-9a-f]{16}\.mjs$/);
  });

  it('prunes builds of its prefix older than the age, never the one kept, fresh ones or other files', async () => {
    const old = writeContentAddressed(dir, 'crypto-agent', 'old');
    const kept = writeContentAddressed(dir, 'crypto-agent', 'kept');
    const fresh = writeContentAddressed(dir, 'crypto-agent', 'fresh');
    const otherPrefix = writeContentAddressed(dir, 'cli', 'cli');
    await writeFile(join(dir, 'cli.manifest.json'), '{}');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    for (const f of [old, kept, otherPrefix, join(dir, 'cli.manifest.json')])
      await utimes(f, twoHoursAgo, twoHoursAgo);
    pruneStale(dir, 'crypto-agent', kept);
    const left = (await readdir(dir)).sort();
    expect(left).to.deep.equal(
      [kept, fresh, otherPrefix, join(dir, 'cli.manifest.json')].map((f) => f.slice(dir.length + 1)).sort(),
    );
    pruneStale(join(dir, 'missing'), 'cli', ''); // no folder: nothing to do, no error
  });
});
