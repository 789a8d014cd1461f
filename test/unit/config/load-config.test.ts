import { expect } from 'chai';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, resolveConfig } from '../../../core/config/load-config.js';
import type { OpenRedUserConfig } from '../../../core/config/types.js';
import { ConfigError } from '../../../core/errors.js';
import { repoRoot } from '../../helpers/node-harness.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('config/load-config', () => {
  const base = '/srv/openred';

  describe('resolveConfig', () => {
    it('fills every default and resolves relative paths against the config folder', () => {
      const { config } = resolveConfig({}, base, {});
      expect(config.server.p2p).to.deep.equal({ host: '127.0.0.1', port: 7700 });
      expect(config.server.api).to.deep.equal({ host: '127.0.0.1', port: 7701 });
      expect(config.server.limits.maxBodyBytes).to.equal(1048576);
      expect(config.server.limits.maxJsonDepth).to.equal(32);
      expect(config.crypto.epochSeconds).to.equal(3600);
      expect(config.plugins).to.deep.equal({
        dirs: [join(base, 'plugins')],
        packages: true,
        hotReload: true,
      });
      expect(config.node.dataDir).to.equal(join(base, '.data/node'));
      expect(config.modules).to.deep.equal({});
      expect(config.log.level).to.equal('info');
    });

    it('does not modify the object it was given', () => {
      const user: OpenRedUserConfig = { server: { p2p: { port: 1 } } };
      resolveConfig(user, base, {});
      expect(user).to.deep.equal({ server: { p2p: { port: 1 } } });
    });

    it('reports every problem, each with its dotted path', () => {
      const problems = problemsOf(() =>
        resolveConfig(
          {
            crypto: { epochSeconds: 10 },
            server: { p2p: { port: 70000 }, limits: { maxJsonDepth: 1 } },
            modules: { messaging: { enabled: 'yes' as unknown as boolean } },
          },
          base,
          {},
        ),
      );
      expect(problems).to.include.members([
        'crypto.epochSeconds must be >= 60',
        'server.p2p.port must be <= 65535',
        'server.limits.maxJsonDepth must be >= 2',
        'modules.messaging.enabled must be boolean',
      ]);
      expect(problems).to.have.length(4);
    });

    it('puts the first problem in the error message', () => {
      expect(() => resolveConfig({ crypto: { epochSeconds: 10 } }, base, {})).to.throw(
        'invalid config: crypto.epochSeconds must be >= 60',
      );
    });

    it('refuses unknown keys at any level (a typo is an error, not silently ignored)', () => {
      const problems = problemsOf(() =>
        resolveConfig(
          { modlues: {}, server: { p2p: { prot: 1 } } } as unknown as OpenRedUserConfig,
          base,
          {},
        ),
      );
      expect(problems).to.include.members(['modlues is not allowed', 'server.p2p.prot is not allowed']);
    });

    it('refuses module names that are not plugin names', () => {
      const problems = problemsOf(() => resolveConfig({ modules: { 'Bad Name': {} } }, base, {}));
      expect(problems.join('\n')).to.match(/modules/);
    });

    it('refuses a default export that is not an object', () => {
      expect(() => resolveConfig([] as unknown as OpenRedUserConfig, base, {})).to.throw(ConfigError);
      expect(() => resolveConfig(undefined, base, {})).to.throw(/defineConfig/);
    });

    it('applies OPENRED_PORT, OPENRED_API_PORT and OPENRED_DATA_DIR over the file', () => {
      const { config } = resolveConfig(
        { server: { p2p: { port: 1000 }, api: { port: 1001 } }, node: { dataDir: 'x' } },
        base,
        { OPENRED_PORT: '9100', OPENRED_API_PORT: '9101', OPENRED_DATA_DIR: '/var/lib/openred' },
      );
      expect(config.server.p2p.port).to.equal(9100);
      expect(config.server.api.port).to.equal(9101);
      expect(config.node.dataDir).to.equal('/var/lib/openred');
    });

    it('resolves a relative OPENRED_DATA_DIR against the config folder; empty variables are ignored', () => {
      const { config } = resolveConfig({}, base, { OPENRED_DATA_DIR: 'state', OPENRED_PORT: '' });
      expect(config.node.dataDir).to.equal(join(base, 'state'));
      expect(config.server.p2p.port).to.equal(7700);
    });

    it('refuses an environment port that is not a port, naming the variable', () => {
      for (const bad of ['abc', '70000', '-1', '1.5']) {
        expect(() => resolveConfig({}, base, { OPENRED_PORT: bad }))
          .to.throw(ConfigError, 'OPENRED_PORT must be a port number')
          .with.property('problems')
          .that.deep.equals([`OPENRED_PORT=${bad} is not a port`]);
      }
    });
  });

  describe('loadConfigFile', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'openred-config-'));
      await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('loads a TypeScript config using defineConfig, without a build step', async () => {
      const file = join(dir, 'ok.config.ts');
      await writeFile(
        file,
        `import { defineConfig } from '@openred/core/config';
const port: number = 7800;
export default defineConfig({ server: { p2p: { port } }, node: { dataDir: 'state' } });
`,
      );
      const loaded = await loadConfigFile(file, {});
      expect(loaded.file).to.equal(file);
      expect(loaded.config.server.p2p.port).to.equal(7800);
      expect(loaded.config.node.dataDir).to.equal(join(dir, 'state'));
    });

    it('accepts a function export (sync or async)', async () => {
      const file = join(dir, 'fn.config.ts');
      await writeFile(file, `export default async () => ({ server: { api: { port: 7900 } } });\n`);
      expect((await loadConfigFile(file, {})).config.server.api.port).to.equal(7900);
    });

    it('re-reads the file on every call (hot reload relies on it)', async () => {
      const file = join(dir, 'again.config.ts');
      await writeFile(file, `export default { server: { p2p: { port: 1 } } };\n`);
      expect((await loadConfigFile(file, {})).config.server.p2p.port).to.equal(1);
      await writeFile(file, `export default { server: { p2p: { port: 2 } } };\n`);
      expect((await loadConfigFile(file, {})).config.server.p2p.port).to.equal(2);
    });

    it('a file with a syntax error gives a ConfigError naming the file', async () => {
      const file = join(dir, 'broken.config.ts');
      await writeFile(file, `export default { server: { p2p: { port: 1 } ;\n`);
      let error: unknown;
      await loadConfigFile(file, {}).catch((err: unknown) => (error = err));
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).message).to.contain(file);
      expect((error as ConfigError).problems[0]).to.contain(file);
    });

    it('a file that throws while evaluating gives a ConfigError naming the file', async () => {
      const file = join(dir, 'throws.config.ts');
      await writeFile(file, `throw new Error('no config for you');\nexport default {};\n`);
      let error: unknown;
      await loadConfigFile(file, {}).catch((err: unknown) => (error = err));
      expect((error as ConfigError).message)
        .to.contain(file)
        .and.to.contain('no config for you');
    });

    it('a missing file is a ConfigError', async () => {
      let error: unknown;
      await loadConfigFile(join(dir, 'nope.ts'), {}).catch((err: unknown) => (error = err));
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).message).to.match(/not found/);
    });

    it('validation problems of a file keep their paths', async () => {
      const file = join(dir, 'invalid.config.ts');
      await writeFile(
        file,
        `export default { crypto: { epochSeconds: 5 }, modules: { x: { enabled: 1 } } };\n`,
      );
      let error: unknown;
      await loadConfigFile(file, {}).catch((err: unknown) => (error = err));
      expect((error as ConfigError).problems).to.have.members([
        'crypto.epochSeconds must be >= 60',
        'modules.x.enabled must be boolean',
      ]);
    });
  });
});
