import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
// @ts-expect-error: the scaffolder is a plain JavaScript file without type declarations.
import { main, resolveNames } from '../../../create-openred-plugin/index.js';

/** Answers each prompt as it appears, like a user at a terminal. */
function terminal(answers: string[]): {
  stdin: PassThrough & { isTTY: boolean };
  stdout: PassThrough;
  shown: () => string;
} {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stdout = new PassThrough();
  let shown = '';
  stdout.on('data', (d: Buffer) => {
    shown += d.toString();
    if (/: $/.test(d.toString()) && answers.length) setImmediate(() => stdin.write(`${answers.shift()}\n`));
  });
  return { stdin, stdout, shown: () => shown };
}

describe('create-openred-plugin prompts', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'openred-prompts-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('asks for name, description, template and capabilities', async () => {
    const dir = join(root, 'asked');
    const io = terminal(['@acme/asked', 'Keeps the score', '3', 'middleware,api']);
    const result = await main(['--dir', dir], io);
    expect(result).to.include({
      pluginName: 'asked',
      packageName: '@acme/openred-plugin-asked',
      template: 'middleware',
    });
    expect(result.capabilities).to.deep.equal(['middleware', 'api']);
    expect(io.shown())
      .to.match(/Plugin name/)
      .and.match(/1\. basic/)
      .and.match(/Next steps/);
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(pkg).to.include({ name: '@acme/openred-plugin-asked', description: 'Keeps the score' });
    const source = await readFile(join(dir, 'src', 'index.ts'), 'utf8');
    expect(source).to.include('ctx.middleware.use').and.not.include('ctx.p2p');
  });

  it('asks nothing with --yes, even on a terminal', async () => {
    const dir = join(root, 'quiet');
    const io = terminal([]);
    await main(['quiet', '--yes', '--dir', dir], io);
    expect(io.shown()).not.to.match(/Plugin name/);
    expect(existsSync(join(dir, 'src', 'index.ts'))).to.equal(true);
  });

  it('maps names to the openred-plugin-* convention', () => {
    expect(resolveNames('hello')).to.deep.include({
      pluginName: 'hello',
      packageName: 'openred-plugin-hello',
    });
    expect(resolveNames('openred-plugin-hello')).to.deep.include({ pluginName: 'hello', renamed: false });
    expect(resolveNames('@me/openred-plugin-x')).to.deep.include({
      pluginName: 'x',
      packageName: '@me/openred-plugin-x',
    });
    expect(() => resolveNames('a'.repeat(215))).to.throw(/longer than 214/);
  });
});
