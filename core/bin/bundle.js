// The CLI and the kernel as one plain-JS file, so a running node needs no TypeScript loader.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildCacheDir, pruneStale, writeContentAddressed, writeFileAtomicSync } from './build-cache.js';

const here = dirname(fileURLToPath(import.meta.url));
const ENTRY = resolve(here, '../cli/main.ts');
/** Bump when the build options below change: it invalidates every cached bundle. */
const FORMAT = 1;

/**
 * Returns the path of `core/cli/main.ts` bundled with esbuild (the compiler tsx uses) into
 * `node_modules/.cache/openred/`, building it when a source changed. Why: tsx's loader runs in a worker
 * thread with its own V8 heap and keeps every transformed module with an inline source map, ~30 MB of a
 * ~160 MB idle node. Only the workspace's own TypeScript (`core`, `@openred/*`) goes into the bundle;
 * packages stay external and load from node_modules as before. `import.meta.url` is replaced by each source
 * file's own URL, so paths computed from it (config loader, crypto agent, repository root) do not move.
 *
 * A manifest next to the bundle records each input's size and mtime: a start with nothing changed costs one
 * stat per source file. Files are written under a temp name and renamed, so concurrent starts are safe.
 * Returns null when bundling is not possible here (the caller then uses tsx).
 */
export async function bundledCli() {
  try {
    const require = createRequire(import.meta.url);
    const dir = buildCacheDir(here);
    const manifestFile = join(dir, 'cli.manifest.json');
    const key = `${FORMAT}/${require('esbuild/package.json').version}/${ENTRY}`;
    const cached = readManifest(manifestFile, key);
    if (cached) return cached;
    return await build(require('esbuild'), dir, manifestFile, key);
  } catch {
    return null;
  }
}

async function build(esbuild, dir, manifestFile, key) {
  try {
    const result = await esbuild.build({
      entryPoints: [ENTRY],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      metafile: true,
      logLevel: 'silent',
      // Packages (except the workspace's TypeScript ones) are imported from node_modules at run time.
      plugins: [externalPackages(dir), ownImportMetaUrl()],
      define: { 'import.meta.url': META_URL },
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
    const file = writeContentAddressed(dir, 'cli', result.outputFiles[0].contents);
    const cwd = process.cwd();
    const inputs = {};
    for (const input of Object.keys(result.metafile.inputs)) {
      const abs = resolve(cwd, input);
      const st = statSync(abs);
      inputs[abs] = [st.size, st.mtimeMs];
    }
    writeFileAtomicSync(manifestFile, JSON.stringify({ key, file, inputs }));
    pruneStale(dir, 'cli', file);
    return file;
  } finally {
    await esbuild.stop?.(); // its service process would otherwise live as long as the node
  }
}

/** The bundle recorded in the manifest if it was built from the sources as they are now. */
function readManifest(manifestFile, key) {
  try {
    const m = JSON.parse(readFileSync(manifestFile, 'utf8'));
    if (m.key !== key) return null;
    for (const [path, [size, mtimeMs]] of Object.entries(m.inputs)) {
      const st = statSync(path);
      if (st.size !== size || st.mtimeMs !== mtimeMs) return null;
    }
    statSync(m.file);
    return m.file;
  } catch {
    return null;
  }
}

/**
 * Bare imports stay imports, except `@openred/*` (TypeScript sources of the workspace, bundled). The bundle
 * lives elsewhere than its sources, so a package that a source file would find in a nearer node_modules
 * (core/node_modules/ajv is ajv 8 while the root one is ajv 6) is imported by its resolved path instead.
 */
function externalPackages(bundleDir) {
  return {
    name: 'openred-external-packages',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === RAW || args.path.startsWith('@openred/')) return undefined;
        const name = packageName(args.path);
        if (isBuiltin(args.path) || packageDir(args.resolveDir, name) === packageDir(bundleDir, name)) {
          return { path: args.path, external: true };
        }
        const r = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          pluginData: RAW,
        });
        if (r.errors.length > 0) return { errors: r.errors };
        return { path: r.path, external: true };
      });
    },
  };
}

const RAW = Symbol('resolve without this plugin');

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The folder Node would load package `name` from when imported by a file in `dir`. */
function packageDir(dir, name) {
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

const META_URL = '__openredImportMetaUrl';

/**
 * `import.meta.url` in a bundled file means that file, not the bundle: `define` turns it into an identifier
 * that each such file declares itself (on its first line, so line numbers do not move).
 */
function ownImportMetaUrl() {
  return {
    name: 'openred-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const url = JSON.stringify(pathToFileURL(args.path).href);
        return {
          contents: `const ${META_URL} = ${url}; ${source}`,
          loader: args.path.endsWith('ts') ? 'ts' : 'js',
        };
      });
    },
  };
}
