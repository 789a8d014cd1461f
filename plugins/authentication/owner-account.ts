/**
 * The owner's credentials and the flows that use them: first setup (behind a one-time setup code), login
 * with password plus a second factor (TOTP, a recovery code, or WebAuthn when enabled), lockout, and new
 * recovery codes. Every attempt runs alone (see Serial) and is on disk before its answer.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errors, type Clock, type Collection, type PluginLogger } from '@openred/plugin-sdk';
import type { AuthConfig } from './config.js';
import { initialLockout, lockedFor, recordFailure, recordSuccess, type LockoutState } from './lockout.js';
import { hashPassword, verifyPassword, type PasswordHash } from './password.js';
import { terminalQr } from './qr.js';
import {
  generateRecoveryCodes,
  hashRecoveryCode,
  matchRecoveryCode,
  type StoredRecoveryCode,
} from './recovery-codes.js';
import { open, seal } from './sealed.js';
import { Serial } from './serial.js';
import type { SessionStore } from './sessions.js';
import { base32Encode, otpauthUri, TOTP_DEFAULTS, verifyTotp, type TotpParams } from './totp.js';

export interface OwnerDoc {
  configured: boolean;
  configuredAt?: number;
  password?: PasswordHash;
  totp?: TotpParams & { secret: string; lastStep: number };
  recovery?: { issuedAt: number; codes: StoredRecoveryCode[] };
  lockout?: LockoutState;
  /** base64url SHA-256 of the pending setup code (the code itself is only in the 0600 file). */
  setupCodeHash?: string;
}

export type AuditFn = (event: string, data?: Record<string, unknown>) => void;

/** What a login offers as second factor; exactly one of them. */
export interface LoginInput {
  password: string;
  code?: string;
  recovery_code?: string;
  webauthn?: unknown;
}

export interface LoginResult {
  token: string;
  session_id: string;
  expires_at: number;
  method: string;
  recovery_codes_left: number;
}

export interface OwnerAccountOptions {
  doc: Collection<OwnerDoc>;
  sessions: SessionStore;
  clock: Clock;
  config: AuthConfig;
  /** Seals the TOTP seed at rest. */
  secretsKey: Buffer;
  /** Keys the recovery code hashes. */
  recoveryKey: Buffer;
  /** Where the pending setup code is written (0600) for `openred auth setup`. */
  setupCodeFile: string;
  /** Account name shown in authenticator apps. */
  account: string;
  audit: AuditFn;
  /** Counts every login attempt for metrics: `ok`, `failed`, `locked`. */
  attempt: (result: 'ok' | 'failed' | 'locked') => void;
  log: PluginLogger;
  webauthn?: { verifyLogin(response: unknown): Promise<boolean> };
}

interface PendingEnrollment {
  id: string;
  password: PasswordHash;
  secret: Buffer;
  expiresAt: number;
}

const TOTP_AAD = 'openred/authentication/totp-secret';
const ENROLLMENT_TTL_MS = 10 * 60 * 1000;

export class OwnerAccount {
  readonly #o: OwnerAccountOptions;
  readonly #serial = new Serial();
  #pending: PendingEnrollment | undefined;

  constructor(options: OwnerAccountOptions) {
    this.#o = options;
  }

  get #doc(): OwnerDoc {
    return this.#o.doc.data;
  }

  get configured(): boolean {
    return this.#doc.configured === true;
  }

  /**
   * While no owner is set up, makes sure a setup code exists (a 0600 file only the node's user can read) and
   * returns that file's path; undefined once configured.
   */
  async ensureSetupCode(): Promise<string | undefined> {
    if (this.configured) return undefined;
    const file = this.#o.setupCodeFile;
    const present = await stat(file).then(
      () => true,
      () => false,
    );
    if (this.#doc.setupCodeHash && present) return file;
    const code = randomBytes(18).toString('base64url');
    const tmp = join(dirname(file), `.setup-code-${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, code + '\n', { mode: 0o600, flag: 'wx' });
    await rename(tmp, file);
    this.#doc.setupCodeHash = sha256(code);
    await this.#o.doc.commit();
    return file;
  }

  /** Step 1 of setup: the setup code and a password; returns the TOTP secret to enrol. */
  beginSetup(input: { setup_code: string; password: string }) {
    return this.#serial.run(async () => {
      this.#assertNotConfigured();
      this.#assertNotLocked();
      const expected = this.#doc.setupCodeHash;
      if (!expected || !equalText(sha256(input.setup_code.trim()), expected)) {
        await this.#fail('auth.setup.failed', 'setup_code');
        throw errors.unauthorized('OR_ERR_SETUP_CODE_INVALID', 'wrong setup code');
      }
      if ([...input.password].length < this.#o.config.passwordMinLength) {
        throw errors.badRequest(
          'OR_ERR_PASSWORD_WEAK',
          `the password needs at least ${this.#o.config.passwordMinLength} characters`,
        );
      }
      const secret = randomBytes(20);
      this.#pending = {
        id: randomBytes(12).toString('base64url'),
        password: await hashPassword(input.password, this.#o.config.scryptLog2N),
        secret,
        expiresAt: this.#o.clock.now() + ENROLLMENT_TTL_MS,
      };
      const uri = otpauthUri({ secret, issuer: this.#o.config.issuer, account: this.#o.account });
      return {
        enrollment: this.#pending.id,
        otpauth_uri: uri,
        secret: base32Encode(secret),
        algorithm: TOTP_DEFAULTS.algorithm,
        digits: TOTP_DEFAULTS.digits,
        period: TOTP_DEFAULTS.period,
        qr: terminalQr(uri),
      };
    });
  }

  /**
   * Step 2 of setup: a code from the authenticator proves it was enrolled. Saves the credentials, issues the
   * recovery codes (shown once) and a first session.
   */
  confirmSetup(input: { enrollment: string; code: string }) {
    return this.#serial.run(async () => {
      this.#assertNotConfigured();
      this.#assertNotLocked();
      const pending = this.#pending;
      const now = this.#o.clock.now();
      if (!pending || pending.expiresAt <= now || !equalText(pending.id, input.enrollment)) {
        throw errors.conflict('OR_ERR_SETUP_EXPIRED', 'no such setup in progress; start again');
      }
      const step = verifyTotp(pending.secret, input.code, now);
      if (step === undefined) {
        await this.#fail('auth.setup.failed', 'totp');
        throw errors.unauthorized('OR_ERR_TOTP_INVALID', 'wrong code; check the authenticator and try again');
      }
      const codes = generateRecoveryCodes(this.#o.config.recoveryCodes);
      const doc = this.#doc;
      doc.password = pending.password;
      doc.totp = {
        ...TOTP_DEFAULTS,
        secret: seal(this.#o.secretsKey, pending.secret, TOTP_AAD),
        lastStep: step,
      };
      doc.recovery = { issuedAt: now, codes: this.#recoveryEntries(codes) };
      doc.lockout = initialLockout();
      doc.configured = true;
      doc.configuredAt = now;
      delete doc.setupCodeHash;
      await this.#o.doc.commit();
      this.#pending = undefined;
      await rm(this.#o.setupCodeFile, { force: true });
      const { token, session } = await this.#o.sessions.create('setup');
      this.#o.audit('auth.setup.completed', { session: session.id });
      return { recovery_codes: codes, token, session_id: session.id, expires_at: session.expiresAt };
    });
  }

  /** Password plus one second factor → a session token. Wrong answers count towards the lockout. */
  login(input: LoginInput): Promise<LoginResult> {
    return this.#serial.run(async () => {
      if (!this.configured) {
        throw errors.conflict(
          'OR_ERR_AUTH_NOT_CONFIGURED',
          'owner login is not set up: run `openred auth setup`',
        );
      }
      this.#assertNotLocked();
      const check = await this.#checkFactors(input);
      if (!check.ok) {
        await this.#fail('auth.login.failed', check.reason);
        throw errors.unauthorized('OR_ERR_AUTH_INVALID', 'wrong password or code');
      }
      this.#commitFactor(check);
      recordSuccess(this.#lockout());
      await this.#o.doc.commit();
      const { token, session } = await this.#o.sessions.create(check.method);
      this.#o.attempt('ok');
      this.#o.audit('auth.login.succeeded', { method: check.method, session: session.id });
      return {
        token,
        session_id: session.id,
        expires_at: session.expiresAt,
        method: check.method,
        recovery_codes_left: this.recoveryCodesLeft(),
      };
    });
  }

  /** Replaces every recovery code (the owner proves password and second factor again). */
  regenerateRecoveryCodes(input: LoginInput): Promise<{ recovery_codes: string[] }> {
    return this.#serial.run(async () => {
      this.#assertNotLocked();
      const check = await this.#checkFactors(input);
      if (!check.ok) {
        await this.#fail('auth.recovery.failed', check.reason);
        throw errors.unauthorized('OR_ERR_AUTH_INVALID', 'wrong password or code');
      }
      this.#commitFactor(check);
      recordSuccess(this.#lockout());
      const codes = generateRecoveryCodes(this.#o.config.recoveryCodes);
      this.#doc.recovery = { issuedAt: this.#o.clock.now(), codes: this.#recoveryEntries(codes) };
      await this.#o.doc.commit();
      this.#o.audit('auth.recovery.regenerated', { count: codes.length });
      return { recovery_codes: codes };
    });
  }

  recoveryCodesLeft(): number {
    return this.#doc.recovery?.codes.filter((c) => c.usedAt === null).length ?? 0;
  }

  /** Seconds left in a lockout (0 when none). */
  lockedSeconds(): number {
    return Math.ceil(lockedFor(this.#lockout(), this.#o.clock.now()) / 1000);
  }

  async #checkFactors(input: LoginInput): Promise<FactorCheck> {
    const doc = this.#doc;
    const now = this.#o.clock.now();
    // Both factors are always evaluated, so the answer time does not say which one was wrong.
    const passwordOk = doc.password ? await verifyPassword(input.password, doc.password) : false;
    let second: FactorCheck;
    if (input.code !== undefined) {
      const secret = open(this.#o.secretsKey, doc.totp!.secret, TOTP_AAD);
      const step = verifyTotp(secret, input.code, now, doc.totp);
      second =
        step === undefined
          ? { ok: false, reason: 'totp' }
          : step <= doc.totp!.lastStep
            ? { ok: false, reason: 'totp_replay' }
            : { ok: true, method: 'password+totp', step };
    } else if (input.recovery_code !== undefined) {
      const index = matchRecoveryCode(this.#o.recoveryKey, input.recovery_code, doc.recovery?.codes ?? []);
      second =
        index === -1
          ? { ok: false, reason: 'recovery_code' }
          : { ok: true, method: 'password+recovery', index };
    } else if (input.webauthn !== undefined && this.#o.webauthn) {
      const ok = await this.#o.webauthn.verifyLogin(input.webauthn);
      second = ok ? { ok: true, method: 'password+webauthn' } : { ok: false, reason: 'webauthn' };
    } else {
      second = { ok: false, reason: 'second_factor_missing' };
    }
    if (!passwordOk) return { ok: false, reason: 'password' };
    return second;
  }

  #commitFactor(check: FactorCheck & { ok: true }): void {
    const now = this.#o.clock.now();
    if (check.step !== undefined) this.#doc.totp!.lastStep = check.step;
    if (check.index !== undefined) this.#doc.recovery!.codes[check.index]!.usedAt = now;
  }

  async #fail(event: string, reason: string): Promise<void> {
    const state = this.#lockout();
    const seconds = recordFailure(state, this.#o.config.lockout, this.#o.clock.now());
    await this.#o.doc.commit();
    this.#o.attempt('failed');
    this.#o.audit(event, {
      reason,
      failures: seconds > 0 ? this.#o.config.lockout.maxFailures : state.failures,
    });
    if (seconds > 0) {
      this.#o.log.warn({ seconds }, 'owner login locked after repeated failures');
      this.#o.audit('auth.lockout', { seconds, lockouts: state.lockouts });
    }
  }

  #assertNotLocked(): void {
    const seconds = this.lockedSeconds();
    if (seconds > 0) {
      this.#o.attempt('locked');
      throw Object.assign(
        errors.tooManyRequests('OR_ERR_AUTH_LOCKED', `too many failed attempts; try again in ${seconds} s`),
        { retryAfterSeconds: seconds },
      );
    }
  }

  #assertNotConfigured(): void {
    if (this.configured) {
      throw errors.conflict(
        'OR_ERR_AUTH_CONFIGURED',
        'owner login is already set up (see docs/modules/authentication.md to start over)',
      );
    }
  }

  #lockout(): LockoutState {
    return (this.#doc.lockout ??= initialLockout());
  }

  #recoveryEntries(codes: string[]): StoredRecoveryCode[] {
    return codes.map((c) => ({ hash: hashRecoveryCode(this.#o.recoveryKey, c), usedAt: null }));
  }
}

type FactorCheck =
  { ok: false; reason: string } | { ok: true; method: string; step?: number; index?: number };

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** Constant-time comparison of two strings of possibly different length. */
function equalText(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}
