import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { stat, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSince } from '../../../core/cli/commands/audit.js';
import { testDirectoryKey, Workspace } from '../../helpers/node-harness.js';
import { cliPath, killAll, runCli, startCli, type StartedNode } from '../../helpers/process-harness.js';
import { base32Decode, totp } from '../../../plugins/authentication/totp.js';
import { PASSWORD, PLUGINS } from './helpers.js';

/**
 * Runs `openred ...args` feeding stdin line by line: `answer(stdoutSoFar)` is asked for the next line
 * whenever the previous ones are consumed (the setup needs the printed secret to compute its code).
 */
function runInteractive(
  args: string[],
  env: NodeJS.ProcessEnv,
  lines: Array<string | ((stdout: string) => string | undefined)>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const queue = [...lines];
  const feed = (): void => {
    while (queue.length > 0) {
      const next = queue[0]!;
      const line = typeof next === 'function' ? next(stdout) : next;
      if (line === undefined) return; // wait for more output
      queue.shift();
      child.stdin.write(line + '\n');
    }
    child.stdin.end();
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    feed();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  feed();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`openred ${args.join(' ')} did not finish; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('openred auth / login / logout / audit (real processes)', function () {
  this.timeout(90_000);
  let ws: Workspace;
  let node: StartedNode;
  let env: NodeJS.ProcessEnv;
  let recoveryCodes: string[];

  before(async () => {
    ws = await Workspace.create();
    await writeFile(
      ws.configFile,
      `export default ${JSON.stringify({
        node: { dataDir: './data' },
        server: { p2p: { host: '127.0.0.1', port: 0 }, api: { host: '127.0.0.1', port: 0 } },
        directory: { embedded: false, publicKey: testDirectoryKey },
        crypto: { isolation: 'inline' },
        plugins: { dirs: [PLUGINS], packages: false, hotReload: false },
        // Only the modules under test: another module's log line must not come before `start --json`.
        modules: {
          authentication: { scryptLog2N: 10 },
          messaging: { enabled: false },
          'file-sharing': { enabled: false },
        },
        log: { level: 'error' },
      })};\n`,
    );
    env = {
      OPENRED_PASSPHRASE: 'cli-auth-passphrase',
      OPENRED_CREDENTIALS: join(ws.dir, 'home', 'credentials.json'),
      OPENRED_ALLOW_ANONYMOUS_OWNER_API: '', // enforcement on
      OPENRED_LOG_LEVEL: 'silent',
    };
    node = await startCli(ws.configFile, { env });
  });

  after(async () => {
    await node?.process.stop().catch(() => undefined);
    await killAll();
    await ws?.cleanup();
  });

  const cli = (args: string[]) => runCli([...args, '--api', node.info.api], { env });

  it('before setup, owner commands fail with a pointer to `openred auth setup`', async () => {
    const r = await cli(['status']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('OR_ERR_AUTH_NOT_CONFIGURED').and.to.include('openred auth setup');
  });

  it('`openred auth setup` reads the setup code, enrols TOTP, prints recovery codes and logs in (0600)', async () => {
    const r = await runInteractive(
      ['auth', 'setup', '--config', ws.configFile, '--api', node.info.api, '--json'],
      env,
      [
        PASSWORD,
        (out) => {
          const m = /"secret":"([A-Z2-7]+)"/.exec(out);
          return m ? totp(base32Decode(m[1]!), Date.now()) : undefined;
        },
      ],
    );
    expect(r.code, r.stderr).to.equal(0);
    const [totpLine, doneLine] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(totpLine.otpauth_uri).to.match(/^otpauth:\/\/totp\//);
    expect(doneLine.event).to.equal('done');
    expect(doneLine.recovery_codes).to.have.length(10);
    recoveryCodes = doneLine.recovery_codes;
    expect((await stat(env.OPENRED_CREDENTIALS!)).mode & 0o777).to.equal(0o600);
    expect((await stat(join(ws.dir, 'home'))).mode & 0o777).to.equal(0o700);
    const status = await cli(['status', '--json']);
    expect(status.code, status.stderr).to.equal(0);
    expect(JSON.parse(status.stdout).node_id).to.equal(node.info.node_id);
  });

  it('`openred logout` ends the session: commands then ask to log in', async () => {
    const out = await cli(['logout']);
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.include('logged out');
    const r = await cli(['plugins']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('OR_ERR_AUTH_REQUIRED').and.to.include('openred login');
    const creds = JSON.parse(await readFile(env.OPENRED_CREDENTIALS!, 'utf8').catch(() => '{"nodes":{}}'));
    expect(Object.keys(creds.nodes)).to.deep.equal([]);
  });

  it('`openred login --recovery` (no clock involved); a wrong password fails clearly', async () => {
    const bad = await runInteractive(['login', '--recovery', '--api', node.info.api], env, [
      'not the password',
      recoveryCodes[0]!,
    ]);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('OR_ERR_AUTH_INVALID');
    const ok = await runInteractive(['login', '--recovery', '--api', node.info.api, '--json'], env, [
      PASSWORD,
      recoveryCodes[0]!,
    ]);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(JSON.parse(ok.stdout)).to.include({ method: 'password+recovery', recovery_codes_left: 9 });
    expect((await cli(['plugins'])).code).to.equal(0);
    const status = await cli(['auth', 'status']);
    expect(status.stdout).to.match(/logged in \(session [\w-]+, password\+recovery/);
  });

  it('`openred audit verify` and `openred audit show --event auth.*`', async () => {
    const v = await cli(['audit', 'verify']);
    expect(v.code, v.stderr).to.equal(0);
    expect(v.stdout).to.match(/^audit log ok: \d+ entries in 1 file\(s\)/);
    const show = await cli(['audit', 'show', '--event', 'auth.*', '--json']);
    expect(show.code, show.stderr).to.equal(0);
    const events = (JSON.parse(show.stdout) as { entries: Array<{ event: string }> }).entries.map(
      (e) => e.event,
    );
    expect(events).to.deep.equal([
      'auth.setup.completed',
      'auth.logout',
      'auth.login.failed',
      'auth.login.succeeded',
    ]);
    const human = await cli(['audit', 'show', '--since', '1h', '--event', 'auth.logout']);
    expect(human.stdout).to.match(/^\d{4}-\d\d-\d\dT[\d:.]+Z {2}#\d+ {2}auth\.logout/);
  });

  it('`openred audit verify` exits 1 and names the first bad entry after tampering', async () => {
    const file = join(ws.dir, 'data', 'plugins', 'monitoring', 'files', 'audit', 'audit-000001.log');
    const lines = (await readFile(file, 'utf8')).split('\n').slice(0, -1);
    lines.splice(2, 1); // delete the third entry
    await writeFile(file, lines.map((l) => l + '\n').join(''));
    const v = await cli(['audit', 'verify']);
    expect(v.code).to.equal(1);
    expect(v.stdout).to.include('AUDIT_ENTRY_MISSING').and.to.include('audit-000001.log line 3');
  });

  it('--since accepts ages, epoch ms and ISO times', () => {
    const now = Date.UTC(2026, 0, 2);
    expect(parseSince('30m', now)).to.equal(now - 30 * 60_000);
    expect(parseSince('2d', now)).to.equal(now - 2 * 86_400_000);
    expect(parseSince('1767225600000', now)).to.equal(1767225600000);
    expect(parseSince('2026-01-01T00:00:00Z', now)).to.equal(Date.UTC(2026, 0, 1));
    expect(() => parseSince('yesterday-ish', now)).to.throw(/--since/);
  });
});
