import { fork } from 'node:child_process';
import { dirname, resolve } from 'node:path';
const child = resolve('core/crypto/.scratch/child.ts');
const root = resolve('.');
const nodeDir = dirname(dirname(process.execPath));
const mode = process.argv[2];
let execPath = process.execPath; let execArgv = ['--import', 'tsx'];
if (mode === 'bwrap') {
  execPath = '/usr/bin/bwrap';
  execArgv = ['--unshare-all', '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr', '--ro-bind-try', '/lib', '/lib', '--ro-bind-try', '/lib64', '/lib64', '--ro-bind-try', '/bin', '/bin', '--ro-bind', nodeDir, nodeDir, '--ro-bind', root, root, '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--chdir', root, '--', process.execPath, '--import', 'tsx'];
} else if (mode === 'unshare') {
  execPath = '/usr/bin/unshare';
  execArgv = ['-rn', '--', process.execPath, '--experimental-permission', '--allow-worker', '--allow-child-process', `--allow-fs-read=${root}/*`, `--allow-fs-read=${root.toUpperCase()}`, `--allow-fs-write=/tmp/xx`, '--import', 'tsx'];
}
console.log(execPath, nodeDir);
const t0 = Date.now();
const c = fork(child, [], { execPath, execArgv, serialization: 'advanced', env: { PATH: process.env.PATH, TSX_DISABLE_CACHE: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
c.on('message', (m) => { console.log(Date.now() - t0, 'ms', m); if ((m as any).net) c.send('bye'); });
c.on('exit', (code, sig) => console.log('exit', code, sig));
