/**
 * The console's browser bundle: esbuild compiles `web/` (Preact, TSX, CSS) into content-hashed files under
 * `node_modules/.cache/openred/console/<source hash>/`, with an `index.html` that names them. `npm install`
 * builds it (`npm run build:console`, from the root `prepare` script); a node that finds it missing or out of
 * date (the sources changed) builds it when the plugin starts. A build goes to a temp folder renamed into
 * place, so nodes that start together never see half a bundle.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the console is served on the owner surface; asset URLs in index.html start with it. */
export const CONSOLE_PATH = '/api/console';

export const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));
const require = createRequire(import.meta.url);

export interface BundleManifest {
  /** `index.html` with the hashed asset names filled in. */
  index: string;
  /** File names under `assets/`, each with its content hash in the name. */
  assets: string[];
}

export interface Bundle {
  dir: string;
  manifest: BundleManifest;
  built: boolean;
}

/** Returns the bundle for the current sources, building it first if it is not there. */
export async function ensureBundle(cacheDir = defaultCacheDir()): Promise<Bundle> {
  const dir = join(cacheDir, await sourceHash());
  const existing = await readManifest(dir);
  if (existing) return { dir, manifest: existing, built: false };
  const manifest = await build(dir);
  await pruneOthers(cacheDir, dir);
  return { dir, manifest, built: true };
}

/** `node_modules/.cache/openred/console` in the nearest folder above the plugin that has a node_modules. */
export function defaultCacheDir(): string {
  let dir = dirname(WEB_DIR);
  for (;;) {
    if (existsSync(join(dir, 'node_modules')))
      return join(dir, 'node_modules', '.cache', 'openred', 'console');
    const up = dirname(dir);
    if (up === dir) return join(dirname(WEB_DIR), '.cache', 'console');
    dir = up;
  }
}

/** A hash of every source file and of the compiler and library versions that shape the output. */
async function sourceHash(): Promise<string> {
  const h = createHash('sha256');
  for (const file of await listFiles(WEB_DIR)) {
    h.update(relative(WEB_DIR, file).split(sep).join('/') + '\0');
    h.update(await readFile(file));
    h.update('\0');
  }
  for (const pkg of ['esbuild/package.json', 'preact/package.json']) {
    h.update((require(pkg) as { version: string }).version + '\0');
  }
  return h.digest('hex').slice(0, 16);
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else out.push(path);
  }
  return out.sort();
}

async function readManifest(dir: string): Promise<BundleManifest | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as BundleManifest;
  } catch {
    return undefined;
  }
}

async function build(dir: string): Promise<BundleManifest> {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const staging = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await mkdir(join(staging, 'assets'), { recursive: true });
  try {
    const result = await esbuild.build({
      entryPoints: { app: join(WEB_DIR, 'main.tsx') },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
      jsx: 'automatic',
      jsxImportSource: 'preact',
      minify: true,
      legalComments: 'none',
      entryNames: '[name]-[hash]',
      assetNames: '[name]-[hash]',
      outdir: join(staging, 'assets'),
      metafile: true,
      logLevel: 'silent',
    });
    const outputs = Object.entries(result.metafile.outputs);
    const entry = outputs.find(([, o]) => o.entryPoint !== undefined);
    if (!entry) throw new Error('esbuild produced no entry point');
    const script = entry[0];
    const style = entry[1].cssBundle;
    const url = (file: string) => `${CONSOLE_PATH}/assets/${file.split('/').pop()}`;
    const template = await readFile(join(WEB_DIR, 'index.html'), 'utf8');
    const manifest: BundleManifest = {
      index: template.replace('%SCRIPT%', url(script)).replace('%STYLE%', style ? url(style) : ''),
      assets: outputs.map(([file]) => file.split('/').pop()!).sort(),
    };
    await writeFile(join(staging, 'manifest.json'), JSON.stringify(manifest));
    try {
      await rename(staging, dir);
    } catch (err) {
      // Another process published the same sources first: its bundle is as good as ours.
      if (!(await readManifest(dir))) throw err;
    }
    return (await readManifest(dir)) ?? manifest;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Bundles of earlier sources: every node loads its bundle into memory, so removing them is safe. */
async function pruneOthers(cacheDir: string, keep: string): Promise<void> {
  const entries = await readdir(cacheDir).catch(() => [] as string[]);
  for (const name of entries) {
    const path = join(cacheDir, name);
    if (path !== keep && !name.endsWith('.tmp')) await rm(path, { recursive: true, force: true });
  }
}
