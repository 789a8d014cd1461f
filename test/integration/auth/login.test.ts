import { expect } from 'chai';
import { stat } from 'node:fs/promises';
import {
  codeAt,
  errorCode,
  login,
  PASSWORD,
  setupOwner,
  startAuthNode,
  type AuthNode,
  type Owner,
} from './helpers.js';

describe('authentication: owner setup, login, lockout and recovery', function () {
  this.timeout(30_000);

  describe('a fresh node', () => {
    let n: AuthNode;
    before(async () => {
      n = await startAuthNode();
    });
    after(async () => n?.stop());

    it('is not configured, refuses owner routes, and wrote a 0600 setup code file', async () => {
      expect((await n.api('GET', '/api/auth/status')).json).to.deep.equal({
        configured: false,
        webauthn: false,
      });
      const r = await n.api('GET', '/api/node/status');
      expect(r.status).to.equal(401);
      expect(errorCode(r)).to.equal('OR_ERR_AUTH_NOT_CONFIGURED');
      expect((await stat(n.setupCodeFile)).mode & 0o777).to.equal(0o600);
    });

    it('refuses setup with a wrong setup code, and a weak password', async () => {
      const wrong = await n.api('POST', '/api/auth/setup', {
        json: { setup_code: 'nope', password: PASSWORD },
      });
      expect(wrong.status).to.equal(401);
      expect(errorCode(wrong)).to.equal('OR_ERR_SETUP_CODE_INVALID');
      const { readFile } = await import('node:fs/promises');
      const code = (await readFile(n.setupCodeFile, 'utf8')).trim();
      const weak = await n.api('POST', '/api/auth/setup', { json: { setup_code: code, password: 'short' } });
      expect(weak.status).to.equal(400);
      expect(errorCode(weak)).to.equal('OR_ERR_PASSWORD_WEAK');
    });

    it('setup needs a correct TOTP code; then the owner is configured and logged in', async () => {
      const { readFile } = await import('node:fs/promises');
      const code = (await readFile(n.setupCodeFile, 'utf8')).trim();
      const started = await n.api('POST', '/api/auth/setup', {
        json: { setup_code: code, password: PASSWORD },
      });
      expect(started.status).to.equal(200);
      const s = started.json as { enrollment: string; secret: string; otpauth_uri: string; qr: string };
      expect(s.otpauth_uri).to.match(/^otpauth:\/\/totp\/OpenRed:[^?]+\?secret=[A-Z2-7]+&issuer=OpenRed/);
      expect(s.otpauth_uri).to.include('algorithm=SHA1&digits=6&period=30');
      expect(s.qr.split('\n').length).to.be.greaterThan(10);
      const bad = await n.api('POST', '/api/auth/setup/confirm', {
        json: { enrollment: s.enrollment, code: codeAt(s.secret, n.clock, 5) },
      });
      expect(errorCode(bad)).to.equal('OR_ERR_TOTP_INVALID');
      const ok = await n.api('POST', '/api/auth/setup/confirm', {
        json: { enrollment: s.enrollment, code: codeAt(s.secret, n.clock) },
      });
      expect(ok.status).to.equal(200);
      const body = ok.json as { token: string; recovery_codes: string[] };
      expect(body.recovery_codes).to.have.length(10);
      expect(new Set(body.recovery_codes).size).to.equal(10);
      expect(body.token).to.match(/^ors_/);
      expect((await n.api('GET', '/api/auth/status')).json).to.deep.equal({
        configured: true,
        webauthn: false,
      });
      expect(await stat(n.setupCodeFile).catch(() => 'gone')).to.equal('gone');
      expect((await n.api('GET', '/api/node/status', { token: body.token })).status).to.equal(200);
      const again = await n.api('POST', '/api/auth/setup', {
        json: { setup_code: code, password: PASSWORD },
      });
      expect(errorCode(again)).to.equal('OR_ERR_AUTH_CONFIGURED');
    });
  });

  describe('a configured node', () => {
    let n: AuthNode;
    let owner: Owner;
    beforeEach(async () => {
      n = await startAuthNode();
      owner = await setupOwner(n);
    });
    afterEach(async () => n?.stop());

    const tryLogin = (body: Record<string, unknown>) => n.api('POST', '/api/auth/login', { json: body });

    it('refuses missing, malformed and unknown tokens with distinct codes', async () => {
      expect(errorCode(await n.api('GET', '/api/node/status'))).to.equal('OR_ERR_AUTH_REQUIRED');
      expect(errorCode(await n.api('GET', '/api/node/status', { token: 'x' }))).to.equal(
        'OR_ERR_SESSION_INVALID',
      );
      const unknown = 'ors_' + 'A'.repeat(43);
      expect(errorCode(await n.api('GET', '/api/node/status', { token: unknown }))).to.equal(
        'OR_ERR_SESSION_INVALID',
      );
    });

    it('TOTP: a code is accepted once, within one step either side, never twice', async () => {
      // The setup confirmation used the current step's code: the same code is a replay.
      const replay = await tryLogin({ password: PASSWORD, code: codeAt(owner.secret, n.clock) });
      expect(replay.status).to.equal(401);
      expect(errorCode(replay)).to.equal('OR_ERR_AUTH_INVALID');
      // The next step's code (authenticator clock slightly ahead) is accepted now...
      const ahead = codeAt(owner.secret, n.clock, 1);
      expect((await tryLogin({ password: PASSWORD, code: ahead })).status).to.equal(200);
      // ...and only once.
      n.clock.advance(30_000);
      expect((await tryLogin({ password: PASSWORD, code: ahead })).status).to.equal(401);
      // Two steps away is outside the window.
      expect(
        (await tryLogin({ password: PASSWORD, code: codeAt(owner.secret, n.clock, 2) })).status,
      ).to.equal(401);
      n.clock.advance(60_000);
      // The previous step's code (authenticator slightly behind) is accepted, once.
      expect(
        (await tryLogin({ password: PASSWORD, code: codeAt(owner.secret, n.clock, -1) })).status,
      ).to.equal(200);
      // The audit log names the reasons (the client only ever sees OR_ERR_AUTH_INVALID).
      const audit = await n.api('GET', '/api/monitoring/audit?event=auth.login.failed', {
        token: owner.token,
      });
      const reasons = (audit.json as { entries: Array<{ data: { reason: string } }> }).entries.map(
        (e) => e.data.reason,
      );
      expect(reasons).to.deep.equal(['totp_replay', 'totp_replay', 'totp']);
    });

    it('wrong password or code: 401; after 5 failures a lockout with backoff, even for right credentials', async () => {
      for (let i = 0; i < 4; i++) {
        const r = await tryLogin({ password: 'wrong password!', code: codeAt(owner.secret, n.clock, 1) });
        expect(r.status).to.equal(401);
        expect(errorCode(r)).to.equal('OR_ERR_AUTH_INVALID');
      }
      expect((await tryLogin({ password: PASSWORD, code: '000000' })).status).to.equal(401); // 5th: locks
      const locked = await tryLogin({ password: PASSWORD, code: codeAt(owner.secret, n.clock, 1) });
      expect(locked.status).to.equal(429);
      expect(errorCode(locked)).to.equal('OR_ERR_AUTH_LOCKED');
      expect(locked.headers['retry-after']).to.equal('30');
      n.clock.advance(31_000);
      // Unlocked; 5 more failures lock for twice as long.
      for (let i = 0; i < 5; i++) await tryLogin({ password: 'wrong password!', code: '123456' });
      const again = await tryLogin({ password: PASSWORD, code: codeAt(owner.secret, n.clock) });
      expect(again.status).to.equal(429);
      expect(again.headers['retry-after']).to.equal('60');
      n.clock.advance(61_000);
      expect((await tryLogin({ password: PASSWORD, code: codeAt(owner.secret, n.clock) })).status).to.equal(
        200,
      );
      const audit = await n.api('GET', '/api/monitoring/audit?event=auth.lockout', { token: owner.token });
      const lockouts = (audit.json as { entries: Array<{ data: { seconds: number } }> }).entries;
      expect(lockouts.map((e) => e.data.seconds)).to.deep.equal([30, 60]);
    });

    it('the lockout survives a restart of the node', async () => {
      for (let i = 0; i < 5; i++) await tryLogin({ password: 'wrong password!', code: '123456' });
      await n.t.stop();
      const again = await startAuthNode({ ws: n.ws, clock: n.clock });
      try {
        const r = await again.api('POST', '/api/auth/login', {
          json: { password: PASSWORD, code: codeAt(owner.secret, n.clock, 1) },
        });
        expect(r.status).to.equal(429);
      } finally {
        await again.t.stop();
      }
    });

    it('a recovery code replaces the TOTP code once', async () => {
      const code = owner.recoveryCodes[3]!;
      const r = await tryLogin({ password: PASSWORD, recovery_code: code.toUpperCase() });
      expect(r.status).to.equal(200);
      expect(r.json).to.include({ method: 'password+recovery', recovery_codes_left: 9 });
      expect((await tryLogin({ password: PASSWORD, recovery_code: code })).status).to.equal(401);
      expect(
        (await tryLogin({ password: 'wrong password!', recovery_code: owner.recoveryCodes[4] })).status,
      ).to.equal(401);
      // New codes (password + second factor again) replace every old one.
      const fresh = await n.api('POST', '/api/auth/recovery-codes', {
        token: owner.token,
        json: { password: PASSWORD, recovery_code: owner.recoveryCodes[5] },
      });
      expect(fresh.status).to.equal(200);
      expect((await tryLogin({ password: PASSWORD, recovery_code: owner.recoveryCodes[6] })).status).to.equal(
        401,
      );
      const newCode = (fresh.json as { recovery_codes: string[] }).recovery_codes[0]!;
      expect((await tryLogin({ password: PASSWORD, recovery_code: newCode })).status).to.equal(200);
    });

    it('exactly one second factor is required', async () => {
      expect((await tryLogin({ password: PASSWORD })).status).to.equal(400);
      const both = await tryLogin({
        password: PASSWORD,
        code: '123456',
        recovery_code: owner.recoveryCodes[0],
      });
      expect(both.status).to.equal(400);
    });

    it('sessions expire, can be listed, revoked, and end with logout', async () => {
      const second = await login(n, owner);
      const list = await n.api('GET', '/api/auth/sessions', { token: second });
      expect((list.json as { sessions: unknown[] }).sessions).to.have.length(2);
      const me = (await n.api('GET', '/api/auth/session', { token: second })).json as {
        session: { id: string };
      };
      // Revoke the first session by id.
      const firstId = (list.json as { sessions: Array<{ id: string }> }).sessions.find(
        (s) => s.id !== me.session.id,
      )!.id;
      expect((await n.api('DELETE', `/api/auth/sessions/${firstId}`, { token: second })).status).to.equal(
        200,
      );
      expect(errorCode(await n.api('GET', '/api/node/status', { token: owner.token }))).to.equal(
        'OR_ERR_SESSION_REVOKED',
      );
      // Logout ends the second.
      expect((await n.api('POST', '/api/auth/logout', { token: second })).status).to.equal(200);
      expect(errorCode(await n.api('GET', '/api/node/status', { token: second }))).to.equal(
        'OR_ERR_SESSION_REVOKED',
      );
      // A new one expires after sessionTtlSeconds (12 h by default).
      const third = await login(n, owner);
      expect((await n.api('GET', '/api/node/status', { token: third })).status).to.equal(200);
      n.clock.advance(12 * 3600 * 1000);
      expect(errorCode(await n.api('GET', '/api/node/status', { token: third }))).to.equal(
        'OR_ERR_SESSION_EXPIRED',
      );
    });
  });
});
