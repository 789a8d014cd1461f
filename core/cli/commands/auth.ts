import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load-config.js';
import { ConfigError, isOpenRedError } from '../../errors.js';
import { credentialsPath, loadSession, removeSession, saveSession } from '../credentials.js';
import { nodeOptions, resolveApi, type NodeCommandOptions } from '../node-address.js';
import { ownerApi } from '../owner-api.js';
import { CliExit, print } from '../output.js';

/**
 * `openred auth setup`, `openred auth status`, `openred auth challenge`, `openred login`, `openred logout`.
 * Secrets are read from the terminal without echo, or one per line from stdin when it is not a terminal
 * (scripts): setup reads the password then the TOTP code, login the password then the code.
 */
export function register(program: Command): void {
  const auth = program.command('auth').description('Owner login: set it up, check it, prove peers');

  nodeOptions(
    auth
      .command('setup')
      .description(
        'Set the owner password and enrol an authenticator app (TOTP); prints one-time recovery codes',
      )
      .option('--setup-code <code>', 'the one-time setup code (default: read from the node data folder)')
      .option('--setup-code-file <file>', 'file holding the setup code'),
  ).action(async (opts: NodeCommandOptions & { setupCode?: string; setupCodeFile?: string }) => {
    const api = await resolveApi(opts);
    const prompt = new Prompter();
    try {
      const setupCode = await readSetupCode(opts);
      const password = await prompt.newPassword();
      const started = await ownerApi<SetupStarted>(api, 'POST', '/api/auth/setup', {
        setup_code: setupCode,
        password,
      });
      if (opts.json) {
        print(true, { event: 'totp', otpauth_uri: started.otpauth_uri, secret: started.secret }, () => '');
      } else {
        process.stdout.write(
          [
            'Scan this QR code with an authenticator app (or enter the secret by hand):',
            '',
            started.qr,
            '',
            `  ${started.otpauth_uri}`,
            `  secret: ${started.secret}  (${started.algorithm}, ${started.digits} digits, ${started.period} s)`,
            '',
          ].join('\n'),
        );
      }
      let done: SetupDone | undefined;
      for (let attempt = 1; !done; attempt++) {
        const code = await prompt.ask('Code shown by the app: ');
        try {
          done = await ownerApi<SetupDone>(api, 'POST', '/api/auth/setup/confirm', {
            enrollment: started.enrollment,
            code,
          });
        } catch (err) {
          if (
            !prompt.interactive ||
            attempt >= 3 ||
            !isOpenRedError(err) ||
            err.code !== 'OR_ERR_TOTP_INVALID'
          ) {
            throw err;
          }
          process.stderr.write('That code did not match; try the current one.\n');
        }
      }
      const file = await saveSession(api, {
        token: done.token,
        session_id: done.session_id,
        expires_at: done.expires_at,
      });
      print(
        opts.json,
        {
          event: 'done',
          recovery_codes: done.recovery_codes,
          session_id: done.session_id,
          expires_at: done.expires_at,
          credentials: file,
        },
        () =>
          [
            'Owner login is set up, and you are logged in.',
            '',
            'Recovery codes (each works once, instead of a TOTP code; store them offline, they are not shown again):',
            ...done.recovery_codes.map((c) => `  ${c}`),
          ].join('\n'),
      );
    } finally {
      prompt.close();
    }
  });

  nodeOptions(auth.command('status').description('Whether owner login is set up, and this session')).action(
    async (opts: NodeCommandOptions) => {
      const api = await resolveApi(opts);
      const { configured } = await ownerApi<{ configured: boolean }>(api, 'GET', '/api/auth/status');
      let session: SessionInfo | null = null;
      if (configured && (await loadSession(api))) {
        session = await ownerApi<SessionInfo>(api, 'GET', '/api/auth/session').catch(() => null);
      }
      print(opts.json, { configured, session }, () =>
        !configured
          ? 'owner login is not set up: run `openred auth setup`'
          : session
            ? `logged in (session ${session.session.id}, ${session.session.method}, expires ` +
              `${new Date(session.session.expiresAt).toISOString()}); recovery codes left: ${session.recovery_codes_left}`
            : 'owner login is set up; not logged in (`openred login`)',
      );
    },
  );

  nodeOptions(
    auth
      .command('challenge')
      .argument('<nodeId>', 'the peer')
      .description('Ask a peer to prove, right now, that it holds its node key (signed challenge)'),
  ).action(async (nodeId: string, opts: NodeCommandOptions) => {
    const proof = await ownerApi<{ peer: string; session: string; verifiedAt: number }>(
      await resolveApi(opts),
      'POST',
      '/api/auth/peer-challenge',
      { peer: nodeId },
    );
    print(opts.json, proof, () => `${proof.peer} proved its key (session ${proof.session})`);
  });

  nodeOptions(
    program
      .command('login')
      .description('Log in as the node owner (password + TOTP code); the session is kept for other commands')
      .option('--recovery', 'use a one-time recovery code instead of a TOTP code')
      .option('--code <code>', 'the TOTP code (default: asked for)'),
  ).action(async (opts: NodeCommandOptions & { recovery?: boolean; code?: string }) => {
    const api = await resolveApi(opts);
    const prompt = new Prompter();
    try {
      const password = await prompt.ask('Password: ', { hidden: true });
      const second = opts.recovery
        ? { recovery_code: await prompt.ask('Recovery code: ', { hidden: true }) }
        : { code: opts.code ?? (await prompt.ask('Code: ')) };
      const r = await ownerApi<LoginDone>(api, 'POST', '/api/auth/login', { password, ...second });
      const file = await saveSession(api, {
        token: r.token,
        session_id: r.session_id,
        expires_at: r.expires_at,
      });
      print(
        opts.json,
        {
          session_id: r.session_id,
          expires_at: r.expires_at,
          method: r.method,
          recovery_codes_left: r.recovery_codes_left,
          credentials: file,
        },
        () =>
          `logged in (session ${r.session_id}, expires ${new Date(r.expires_at).toISOString()})` +
          (r.recovery_codes_left <= 2 ? `\nonly ${r.recovery_codes_left} recovery codes left` : ''),
      );
    } finally {
      prompt.close();
    }
  });

  nodeOptions(
    program.command('logout').description('End this owner session on the node and forget it'),
  ).action(async (opts: NodeCommandOptions) => {
    const api = await resolveApi(opts);
    let revoked = false;
    if (await loadSession(api)) {
      revoked = await ownerApi(api, 'POST', '/api/auth/logout').then(
        () => true,
        () => false, // already expired or revoked: forgetting it is all that is left
      );
    }
    const forgotten = await removeSession(api);
    print(opts.json, { revoked, forgotten, credentials: credentialsPath() }, () =>
      revoked || forgotten ? 'logged out' : 'no session for this node',
    );
  });
}

interface SetupStarted {
  enrollment: string;
  otpauth_uri: string;
  secret: string;
  algorithm: string;
  digits: number;
  period: number;
  qr: string;
}

interface SetupDone {
  recovery_codes: string[];
  token: string;
  session_id: string;
  expires_at: number;
}

interface LoginDone {
  token: string;
  session_id: string;
  expires_at: number;
  method: string;
  recovery_codes_left: number;
}

interface SessionInfo {
  session: { id: string; method: string; expiresAt: number };
  recovery_codes_left: number;
}

/** The setup code: flag, OPENRED_SETUP_CODE, a given file, or the file the node wrote in its data folder. */
async function readSetupCode(opts: NodeCommandOptions & { setupCode?: string; setupCodeFile?: string }) {
  if (opts.setupCode) return opts.setupCode.trim();
  if (process.env.OPENRED_SETUP_CODE) return process.env.OPENRED_SETUP_CODE.trim();
  let file = opts.setupCodeFile;
  if (!file) {
    const { config } = await loadConfigFile(opts.config);
    file = join(config.node.dataDir, 'plugins', 'authentication', 'files', 'setup-code');
  }
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message;
    throw new ConfigError(
      `cannot read the setup code from ${file} (${why}): start the node first, run this as the node's user, ` +
        'or pass --setup-code (owner login may already be set up: `openred auth status`)',
    );
  }
}

/** Questions on the terminal (secrets without echo), or lines from stdin when it is not a terminal. */
class Prompter {
  readonly interactive = process.stdin.isTTY === true;
  #lines: AsyncIterator<string> | undefined;
  #rl: ReturnType<typeof createInterface> | undefined;

  async ask(question: string, options: { hidden?: boolean } = {}): Promise<string> {
    if (!this.interactive) {
      this.#rl ??= createInterface({ input: process.stdin, terminal: false });
      this.#lines ??= this.#rl[Symbol.asyncIterator]();
      const next = await this.#lines.next();
      if (next.done) throw new ConfigError(`expected a line on stdin for: ${question.replace(/: $/, '')}`);
      return next.value.replace(/\r$/, '');
    }
    return options.hidden ? readHidden(question) : readVisible(question);
  }

  /** A new password, typed twice on a terminal. */
  async newPassword(): Promise<string> {
    for (;;) {
      const first = await this.ask('New owner password: ', { hidden: true });
      if (!this.interactive) return first;
      const again = await this.ask('Repeat it: ', { hidden: true });
      if (first === again) return first;
      process.stderr.write('The two entries differ; try again.\n');
    }
  }

  close(): void {
    this.#rl?.close();
  }
}

function readVisible(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) =>
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer.trim());
    }),
  );
}

function readHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let chars: string[] = [];
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(chars.join(''));
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new CliExit(130));
          return;
        }
        if (ch === '\u007f' || ch === '\b') chars = chars.slice(0, -1);
        else chars.push(ch);
      }
    };
    stdin.on('data', onData);
  });
}
