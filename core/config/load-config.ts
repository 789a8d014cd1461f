import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';
import { ConfigError } from '../errors.js';
import { configTransform } from './compile-config.js';
import { describeErrors, documentAjv } from '../http/validation.js';
import { configSchema } from './schema.js';
import type { OpenRedConfig, OpenRedUserConfig } from './types.js';

const validate = documentAjv.compile<OpenRedConfig>(configSchema);
const defineConfigFile = fileURLToPath(new URL('./define-config.ts', import.meta.url));

export interface LoadedConfig {
  config: OpenRedConfig;
  /** Absolute path of the file it came from (undefined when built from an object). */
  file?: string;
  /** Folder relative paths in the config are resolved against. */
  baseDir: string;
}

/**
 * Loads `openred.config.ts` (TypeScript, no build step: jiti transpiles it and re-evaluates it on every
 * call, which hot reload relies on), applies defaults, environment overrides and validation. Every problem
 * is reported with its path; the first one is the error message.
 */
export async function loadConfigFile(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedConfig> {
  const abs = resolve(file);
  if (!existsSync(abs)) throw new ConfigError(`config file not found: ${abs}`, [`${abs} does not exist`]);
  let exported: unknown;
  try {
    const jiti = createJiti(import.meta.url, {
      moduleCache: false,
      // Transpiled output is cached by content hash, so an edited file is never served stale; without the
      // cache every start (and every config reload) loads and runs babel.
      fsCache: true,
      // Config files import `defineConfig` (an identity function) from '@openred/core/config'. Evaluated in
      // jiti's fresh module graph, that package would load the config loader itself again (ajv compiling the
      // config schema, jiti) on every start and reload; give it the one file it needs.
      alias: { '@openred/core/config': defineConfigFile },
      // The file itself compiled by esbuild rather than babel (compile-config.ts says why).
      transform: await configTransform(abs),
    });
    exported = await jiti.import(abs, { default: true });
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    throw new ConfigError(`cannot load ${abs}: ${msg}`, [`${abs}: ${msg}`]);
  }
  if (typeof exported === 'function') exported = await (exported as () => unknown)();
  return { ...resolveConfig(exported as OpenRedUserConfig, dirname(abs), env), file: abs };
}

/** Validates a config object (from a file or built in code) and resolves its paths. */
export function resolveConfig(
  user: OpenRedUserConfig | undefined,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  if (typeof user !== 'object' || user === null || Array.isArray(user)) {
    throw new ConfigError('the config must export an object (use defineConfig({...}))', [
      'default export is not an object',
    ]);
  }
  let config: OpenRedConfig;
  try {
    config = structuredClone(user) as OpenRedConfig;
  } catch (err) {
    // A function, symbol or similar value somewhere in the object: no config value can be one.
    const why = `not plain data: ${(err as Error).message}`;
    throw new ConfigError(`invalid config: ${why}`, [why]);
  }
  if (!validate(config)) {
    const problems = describeErrors(validate.errors, '', '.').map((p) => p.replace(/^ /, ''));
    throw new ConfigError(`invalid config: ${problems[0]}`, problems);
  }
  applyEnv(config, env);
  config.node.dataDir = absolute(baseDir, config.node.dataDir);
  config.plugins.dirs = config.plugins.dirs.map((d) => absolute(baseDir, d));
  return { config, baseDir };
}

function applyEnv(config: OpenRedConfig, env: NodeJS.ProcessEnv): void {
  const port = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new ConfigError(`invalid config: ${name} must be a port number`, [
        `${name}=${raw} is not a port`,
      ]);
    }
    return n;
  };
  config.server.p2p.port = port('OPENRED_PORT') ?? config.server.p2p.port;
  config.server.api.port = port('OPENRED_API_PORT') ?? config.server.api.port;
  if (config.directory.embedded) {
    config.directory.embedded.port = port('OPENRED_DIRECTORY_PORT') ?? config.directory.embedded.port;
  }
  if (env.OPENRED_DATA_DIR) config.node.dataDir = env.OPENRED_DATA_DIR;
  if (env.OPENRED_DIRECTORY_URL) config.directory.url = env.OPENRED_DIRECTORY_URL;
  if (env.OPENRED_DIRECTORY_KEY) config.directory.publicKey = env.OPENRED_DIRECTORY_KEY;
  if (env.OPENRED_LOG_LEVEL) config.log.level = env.OPENRED_LOG_LEVEL as OpenRedConfig['log']['level'];
}

function absolute(base: string, p: string): string {
  return isAbsolute(p) ? p : resolve(base, p);
}
