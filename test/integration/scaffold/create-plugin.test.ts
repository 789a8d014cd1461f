import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  MOCHA,
  create,
  run,
  until,
  watchingNode,
  workspace,
  type WatchingNode,
  type Workspace,
} from './harness.js';

describe('create-openred-plugin', function () {
  this.timeout(120_000);
  let ws: Workspace;

  before(async () => {
    ws = await workspace();
  });
  after(() => ws.close());

  describe('generates each template, whose own test passes', () => {
    for (const template of ['basic', 'cipher-method', 'middleware']) {
      it(template, async () => {
        const name = `t-${template}`;
        const dir = join(ws.root, 'generated', name);
        const made = await create([name, '--template', template, '--yes', '--dir', dir], ws.root);
        expect(made.code, made.stderr).to.equal(0);
        expect(made.stdout).to.include('Next steps');
        const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
        expect(pkg.name).to.equal(`openred-plugin-${name}`);
        expect(pkg.openred).to.deep.equal({ name, entry: './src/index.ts' });
        expect(existsSync(join(dir, pkg.openred.entry))).to.equal(true);
        expect(existsSync(join(dir, '.gitignore'))).to.equal(true);
        expect(existsSync(join(dir, '_gitignore'))).to.equal(false);
        expect(existsSync(join(dir, 'template.json'))).to.equal(false);
        const source = await readFile(join(dir, 'src', 'index.ts'), 'utf8');
        expect(source).not.to.match(/\{\{|@if |@endif/);
        const tested = await run(process.execPath, [MOCHA], dir);
        expect(tested.code, tested.stdout + tested.stderr).to.equal(0);
        expect(tested.stdout)
          .to.match(/passing/)
          .and.not.to.match(/failing/);
      });
    }
  });

  it('keeps only the chosen capabilities', async () => {
    const dir = join(ws.root, 'generated', 'only-api');
    const made = await create(['only-api', '--capabilities', 'api', '--yes', '--dir', dir], ws.root);
    expect(made.code, made.stderr).to.equal(0);
    const source = await readFile(join(dir, 'src', 'index.ts'), 'utf8');
    expect(source).to.include('ctx.api.get').and.not.include('ctx.p2p');
    const tested = await run(process.execPath, [MOCHA], dir);
    expect(tested.code, tested.stdout + tested.stderr).to.equal(0);
  });

  describe('on a running node', () => {
    let node: WatchingNode;
    before(async () => {
      node = await watchingNode(ws.root, ws.plugins);
    });
    after(() => node.close());

    it('hot-loads a new plugin, answers its route, and picks up an edit', async () => {
      const made = await create(['live', '--yes', '--dir', join(ws.plugins, 'live')], ws.root);
      expect(made.code, made.stderr).to.equal(0);
      const hello = await until(() => node.get<{ greeting: string }>('/live/hello'), 'the new plugin');
      expect(hello.greeting).to.equal('hello');
      const entry = join(ws.plugins, 'live', 'src', 'index.ts');
      await writeFile(entry, (await readFile(entry, 'utf8')).replace("default: 'hello'", "default: 'howdy'"));
      await until(
        async () =>
          (await node.get<{ greeting: string }>('/live/hello'))?.greeting === 'howdy' ? true : undefined,
        'the edit to load',
      );
    });
  });

  describe('refuses', () => {
    const refusals: Array<[string, string[], RegExp]> = [
      ['capital letters', ['MyPlugin'], /invalid name "MyPlugin": it contains capital letters/],
      ['a leading dot', ['.hidden'], /starts with "\." or "_"/],
      ['spaces', ['my plugin'], /URL-safe/],
      ['an empty plugin part', ['openred-plugin-'], /the plugin name "" must be/],
      ['a nested path', ['@scope/a/b'], /invalid name/],
      [
        'an unknown template',
        ['ok', '--template', 'nope'],
        /unknown template "nope"; choose one of: basic, cipher-method, middleware/,
      ],
      ['an unknown capability', ['ok', '--capabilities', 'p2p,teleport'], /unknown capability teleport/],
      [
        'a capability the template lacks',
        ['ok', '--template', 'basic', '--capabilities', 'cipher'],
        /does not offer cipher/,
      ],
      ['a missing name', ['--yes'], /a plugin name is required/],
    ];
    for (const [what, args, message] of refusals) {
      it(what, async () => {
        const r = await create([...args, '--yes', '--dir', join(ws.root, 'refused')], ws.root);
        expect(r.code).to.equal(1);
        expect(r.stderr).to.match(message);
        expect(existsSync(join(ws.root, 'refused'))).to.equal(false);
      });
    }

    it('a non-empty target', async () => {
      const dir = join(ws.root, 'occupied');
      await mkdir(dir);
      await writeFile(join(dir, 'notes.txt'), 'mine');
      const r = await create(['occupied', '--yes', '--dir', dir], ws.root);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/exists and is not empty/);
      expect(await readFile(join(dir, 'notes.txt'), 'utf8')).to.equal('mine');
    });
  });
});
