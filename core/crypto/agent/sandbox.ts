/**
 * How the crypto agent is confined (DESIGN.md section 6), strongest first:
 *
 *  - 'bwrap': bubblewrap with every namespace unshared (no network at all, not even the host's loopback or
 *    abstract Unix sockets), a minimal file system -- system libraries, the node binary and the code read-only,
 *    an empty /tmp, and the key folder as the only writable path. No host Unix socket is reachable because no
 *    host directory holding one is mounted; the IPC channel is an inherited file descriptor.
 *  - 'netns+permission': `unshare -rn` (a new, empty network namespace as an unprivileged user) plus Node's
 *    permission model restricting reads to the code and the key folder and writes to the key folder. On Node 20
 *    the permission model does not cover the network (the namespace does) and, because the TypeScript loader
 *    (tsx) needs a worker thread and spawns esbuild, it must allow workers and child processes, which a
 *    compromised agent could use to step around the file rules. Network isolation is unaffected: children
 *    inherit the namespace.
 *  - 'inline': no separate process. Used only when neither tool works, with a loud warning.
 *
 * The probes run the real command once per process, so "available" means "works on this host", not
 * "installed" (bwrap is often installed but blocked by container seccomp or user-namespace policy).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codeRoot as codeRootOf, pruneStale, writeContentAddressed } from '../../bin/build-cache.js';

export type IsolationLevel = 'bwrap' | 'netns+permission' | 'inline';
export type IsolationRequest = 'auto' | IsolationLevel;

export interface AgentLaunchPlan {
  level: Exclude<IsolationLevel, 'inline'>;
  /** What fork() runs instead of node (bwrap/unshare), with node and its flags in execArgv. */
  execPath: string;
  execArgv: string[];
  env: Record<string, string>;
  cwd: string;
  /** The script fork() runs: the pre-bundled agent (plain JS), or its TypeScript entry through tsx. */
  entry: string;
}

export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/bin', '/usr/local/bin'];
  for (const d of dirs) {
    if (d === '') continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

const probes = new Map<string, boolean>();

function probe(key: string, cmd: string | undefined, args: string[]): boolean {
  if (cmd === undefined) return false;
  let ok = probes.get(key);
  if (ok === undefined) {
    const r = spawnSync(cmd, [...args, process.execPath, '-e', '0'], { stdio: 'ignore', timeout: 10_000 });
    ok = r.status === 0;
    probes.set(key, ok);
  }
  return ok;
}

export function bwrapWorks(): boolean {
  return probe('bwrap', findExecutable('bwrap'), [
    '--unshare-all',
    '--die-with-parent',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--',
  ]);
}

function permissionFlag(): string | undefined {
  const flags = process.allowedNodeEnvironmentFlags;
  if (flags.has('--permission')) return '--permission';
  if (flags.has('--experimental-permission')) return '--experimental-permission';
  return undefined;
}

export function netnsWorks(): boolean {
  return permissionFlag() !== undefined && probe('unshare', findExecutable('unshare'), ['-rn', '--']);
}

/** The strongest level this host supports, or the requested one if it works ('inline' when nothing does). */
export function resolveIsolation(request: IsolationRequest): IsolationLevel {
  if (request === 'inline') return 'inline';
  if ((request === 'auto' || request === 'bwrap') && bwrapWorks()) return 'bwrap';
  if ((request === 'auto' || request === 'netns+permission') && netnsWorks()) return 'netns+permission';
  return 'inline';
}

/** The highest ancestor of this file holding a node_modules folder: the code (and dependencies) to mount. */
export function codeRoot(): string {
  return codeRootOf(dirname(fileURLToPath(import.meta.url)));
}

/**
 * Dependencies that live outside the code root behind a symlink (a linked node_modules, a package manager's
 * store): Node loads modules from their real path, so that is what the agent must be able to read.
 */
function linkedDependencies(root: string): string[] {
  const out = new Set<string>();
  try {
    const real = realpathSync(join(root, 'node_modules'));
    if (real !== join(root, 'node_modules') && !real.startsWith(root + sep)) out.add(real);
  } catch {
    // no node_modules, or not readable: nothing to add
  }
  return [...out];
}

export const AGENT_ENTRY = fileURLToPath(new URL('./agent-main.ts', import.meta.url));

function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

let bundled: string | null | undefined;

/**
 * The agent as one plain-JS file, bundled with esbuild (tsx's own compiler) into node_modules/.cache: the agent
 * then starts without a TypeScript loader, which is most of its start-up time, and needs neither the worker
 * thread nor the child process tsx uses. The file is named by its content hash and written atomically, so
 * concurrent nodes share it safely. Returns null (use tsx) if bundling is not possible here.
 */
export function bundledAgentEntry(root: string): string | null {
  // Built once per process; again if the file went away (another node pruned it: see pruneStale).
  if (bundled === null || (bundled !== undefined && existsSync(bundled))) return bundled;
  bundled = null;
  try {
    const require = createRequire(import.meta.url);
    const esbuild = require('esbuild') as typeof import('esbuild');
    const out = esbuild.buildSync({
      entryPoints: [AGENT_ENTRY],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
    const dir = join(root, 'node_modules', '.cache', 'openred');
    bundled = writeContentAddressed(dir, 'crypto-agent', out.outputFiles[0]!.contents);
    pruneStale(dir, 'crypto-agent', bundled);
  } catch {
    bundled = null;
  }
  return bundled;
}

/** Only what node and tsx need: NODE_OPTIONS and friends could otherwise inject code into the agent. */
function agentEnv(): Record<string, string> {
  const env: Record<string, string> = { TSX_DISABLE_CACHE: '1', PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const k of ['LANG', 'LC_ALL', 'TZ']) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return env;
}

function swapCase(s: string): string {
  return [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
}

export function planAgentLaunch(
  level: Exclude<IsolationLevel, 'inline'>,
  opts: { keyDir: string; extraReadPaths?: readonly string[] },
): AgentLaunchPlan {
  const keyDir = resolve(opts.keyDir);
  const root = codeRoot();
  const readPaths = [
    root,
    ...linkedDependencies(root),
    ...(opts.extraReadPaths ?? []).map((p) => resolve(p)),
  ];
  const node = process.execPath;
  const bundle = bundledAgentEntry(root);
  const entry = bundle ?? AGENT_ENTRY;
  const nodeArgs = bundle ? [] : ['--import', tsxLoader()];
  const env = agentEnv();

  if (level === 'bwrap') {
    const args = ['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL'];
    for (const p of [
      '/usr',
      '/bin',
      '/sbin',
      '/lib',
      '/lib32',
      '/lib64',
      '/etc/ld.so.cache',
      '/etc/ld.so.conf',
    ]) {
      args.push('--ro-bind-try', p, p);
    }
    // The node binary may live outside /usr (nvm, a tarball): mount the real file at the path we run.
    args.push('--ro-bind', realpathSync(node), node);
    args.push('--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp');
    for (const p of readPaths) args.push('--ro-bind', p, p);
    args.push('--bind', keyDir, keyDir, '--chdir', root, '--');
    return {
      level,
      execPath: findExecutable('bwrap')!,
      execArgv: [...args, node, ...nodeArgs],
      env,
      cwd: root,
      entry,
    };
  }

  const perm = permissionFlag()!;
  // tsx (only used when the bundle could not be built) needs a worker thread and a child process.
  const flags = bundle ? [perm] : [perm, '--allow-worker', '--allow-child-process'];
  // The permission model's "experimental" and "--allow-* invalidates the model" notices would print on every
  // agent start; what they mean for this level is documented above and in docs/protocol.md.
  if (process.allowedNodeEnvironmentFlags.has('--disable-warning')) {
    flags.push('--disable-warning=ExperimentalWarning', '--disable-warning=SecurityWarning');
  }
  for (const p of readPaths) flags.push(`--allow-fs-read=${join(p, '*')}`);
  // tsx probes file-system case sensitivity by testing the case-swapped working directory.
  flags.push(`--allow-fs-read=${swapCase(root)}`);
  flags.push(`--allow-fs-read=${join(keyDir, '*')}`, `--allow-fs-write=${join(keyDir, '*')}`);
  return {
    level,
    execPath: findExecutable('unshare')!,
    execArgv: ['-rn', '--', node, ...flags, ...nodeArgs],
    env,
    cwd: root,
    entry,
  };
}
