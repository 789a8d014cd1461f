import { join } from 'node:path';
import {
  definePlugin,
  errors,
  KERNEL_STATUS_SERVICE,
  nodeSigner,
  OWNER_GUARD_SERVICE,
  ownerOf,
  PEER_PROOF_SERVICE,
  PluginHttpError,
  recordAudit,
  sessionOf,
  type OwnerSession,
  type PeerProofService,
  type RouteRequest,
} from '@openred/plugin-sdk';
import { answerChallenge, challengeRequestSchema, newNonce, verifyAnswer } from './challenge.js';
import { configSchema, type AuthConfig } from './config.js';
import { createOwnerGuard } from './guard.js';
import { OwnerAccount, type OwnerDoc } from './owner-account.js';
import { PeerRateLimit } from './peer-rate-limit.js';
import {
  assertOneFactor,
  loginSchema,
  peerSchema,
  setupConfirmSchema,
  setupSchema,
  webauthnResponseSchema,
} from './schemas.js';
import { SessionStore, type SessionsDoc } from './sessions.js';
import { WebAuthn, type WebAuthnDoc } from './webauthn.js';

/**
 * Authentication: the owner logs in to the node's owner API with a password (scrypt) and a second factor
 * (TOTP, one-time recovery codes, optionally WebAuthn); the module provides the owner guard the kernel
 * applies to every non-public `/api` route. Peers can be asked for a fresh proof of their node key
 * (`POST /p2p/auth/challenge`). See docs/modules/authentication.md.
 */
export default definePlugin({
  name: 'authentication',
  version: '2.0.0',
  description: 'Owner login (password + TOTP, optional WebAuthn) and peer challenge-response.',
  config: configSchema,
  async setup(ctx) {
    const config = ctx.config as unknown as AuthConfig;
    const ownerDoc = await ctx.storage.collection<OwnerDoc>('owner', { configured: false });
    const sessionsDoc = await ctx.storage.collection<SessionsDoc>('sessions', { sessions: [] });
    const sessions = new SessionStore(sessionsDoc, ctx.clock, {
      ttlSeconds: config.sessionTtlSeconds,
      max: config.maxSessions,
    });
    const audit = (event: string, data: Record<string, unknown> = {}) => recordAudit(ctx, event, data);
    const status = ctx.service<() => { name?: string | null }>(KERNEL_STATUS_SERVICE)();
    const webauthn = config.webauthn.enabled
      ? new WebAuthn(
          await ctx.storage.collection<WebAuthnDoc>('webauthn', { credentials: [] }),
          ctx.clock,
          config.webauthn,
          ctx.node.id,
        )
      : undefined;
    const account = new OwnerAccount({
      doc: ownerDoc,
      sessions,
      clock: ctx.clock,
      config,
      secretsKey: await ctx.deriveKey('owner-secrets'),
      recoveryKey: await ctx.deriveKey('recovery-codes'),
      setupCodeFile: join(ctx.storage.dir, 'setup-code'),
      account: status.name ?? ctx.node.id,
      audit,
      attempt: (result) => ctx.events.emit('auth.attempt', { result }),
      log: ctx.log,
      webauthn,
    });

    const pending = await account.ensureSetupCode();
    if (pending) {
      ctx.log.warn(
        { setupCodeFile: pending },
        'owner login is not set up: the owner API refuses every call until you run `openred auth setup` ' +
          'on this host (it reads the one-time setup code from setupCodeFile)',
      );
    }

    ctx.provide(OWNER_GUARD_SERVICE, createOwnerGuard({ configured: () => account.configured, sessions }));

    const signer = nodeSigner(ctx);
    const proofs: PeerProofService = {
      async prove(peer) {
        const nonce = newNonce();
        const res = await ctx.peers
          .request(peer, 'POST', '/auth/challenge', { nonce })
          .catch((err: unknown) => {
            // The peer answered, but not from a challenge route (e.g. it runs no authentication module).
            const e = err as { status?: number; code?: string };
            // No such node in the directory: nothing was asked of any peer, so the caller's 404 stands.
            if (e.code === 'OR_ERR_UNKNOWN_NODE') throw err;
            if (typeof e.status === 'number' && e.status < 500)
              return { status: e.status, body: { error: e } };
            throw err;
          });
        if (res.status !== 200) {
          const code = (res.body as { error?: { code?: string } })?.error?.code ?? `HTTP ${res.status}`;
          audit('auth.challenge.failed', { peer, reason: code });
          throw new PluginHttpError(
            'OR_ERR_CHALLENGE_FAILED',
            `the peer did not answer the challenge (${code})`,
            502,
          );
        }
        try {
          const proof = verifyAnswer(res.body, {
            self: ctx.node.id,
            peer,
            nonce,
            sessions: ctx.peers
              .sessions()
              .filter((s) => s.peer === peer && s.id !== undefined)
              .map((s) => s.id!),
            now: ctx.clock.now(),
            maxSkewMs: config.challengeMaxSkewSeconds * 1000,
            signer,
          });
          audit('auth.challenge.verified', { peer, session: proof.session });
          return proof;
        } catch (err) {
          audit('auth.challenge.failed', { peer, reason: (err as Error).message });
          throw err;
        }
      },
    };
    ctx.provide(PEER_PROOF_SERVICE, proofs);

    // Peer side: prove possession of this node's key to a peer that asks, bound to the session it asked on.
    const perPeer = new PeerRateLimit(ctx.clock, { perSecond: 5, burst: 20 });
    ctx.p2p.post(
      '/auth/challenge',
      { body: challengeRequestSchema, summary: 'Sign a fresh nonce with the node key' },
      async (req) => {
        const session = sessionOf(req);
        if (!req.peer || !session) throw errors.unauthorized('OR_ERR_SESSION_REQUIRED', 'no peer session');
        if (!perPeer.take(req.peer)) {
          throw errors.tooManyRequests('OR_ERR_RATE_LIMITED', 'too many challenges; slow down');
        }
        return answerChallenge({
          signer,
          self: { id: ctx.node.id, publicKeys: ctx.node.publicKeys },
          now: ctx.clock.now(),
          challenger: req.peer,
          session: session.id,
          nonce: req.body.nonce,
        });
      },
    );

    const owner = (req: RouteRequest): OwnerSession => {
      const session = ownerOf(req);
      if (!session) throw errors.unauthorized('OR_ERR_AUTH_REQUIRED', 'log in first: `openred login`');
      return session;
    };
    /** Answers 429 with Retry-After when the account is locked. */
    const withRetryAfter = async <T>(req: RouteRequest, run: () => Promise<T>): Promise<T> => {
      try {
        return await run();
      } catch (err) {
        const wait = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
        if (typeof wait === 'number') req.header('Retry-After', String(wait));
        throw err;
      }
    };

    ctx.api.get('/auth/status', { public: true, summary: 'Whether owner login is set up' }, () => ({
      configured: account.configured,
      // Lets a login page offer the security key only when one can be used.
      webauthn: webauthn !== undefined && webauthn.credentials().length > 0,
    }));
    ctx.api.post(
      '/auth/setup',
      { public: true, body: setupSchema, summary: 'Start owner setup (needs the one-time setup code)' },
      (req) => withRetryAfter(req, () => account.beginSetup(req.body)),
    );
    ctx.api.post(
      '/auth/setup/confirm',
      { public: true, body: setupConfirmSchema, summary: 'Finish owner setup with a TOTP code' },
      (req) => withRetryAfter(req, () => account.confirmSetup(req.body)),
    );
    ctx.api.post(
      '/auth/login',
      { public: true, body: loginSchema, summary: 'Password + second factor -> session token' },
      (req) => {
        assertOneFactor(req.body);
        return withRetryAfter(req, () => account.login(req.body));
      },
    );
    ctx.api.post('/auth/logout', { summary: 'End this session' }, async (req) => {
      const session = owner(req);
      await sessions.revoke(session.id);
      audit('auth.logout', { session: session.id });
      return { revoked: session.id };
    });
    ctx.api.get('/auth/session', { summary: 'This session and the account state' }, (req) => ({
      session: owner(req),
      recovery_codes_left: account.recoveryCodesLeft(),
      webauthn: webauthn ? webauthn.credentials().length : null,
    }));
    ctx.api.get('/auth/sessions', { summary: 'Live owner sessions' }, () => ({ sessions: sessions.list() }));
    ctx.api.delete(
      '/auth/sessions/:id',
      {
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
        } as const,
        summary: 'End a session',
      },
      async (req) => {
        if (!(await sessions.revoke(req.params.id)))
          throw errors.notFound('OR_ERR_SESSION_UNKNOWN', 'no such session');
        audit('auth.session.revoked', { session: req.params.id });
        return { revoked: req.params.id };
      },
    );
    ctx.api.post('/auth/sessions/revoke-all', { summary: 'End every owner session' }, async () => {
      const count = await sessions.revokeAll();
      audit('auth.session.revoked', { count });
      return { revoked: count };
    });
    ctx.api.post(
      '/auth/recovery-codes',
      { body: loginSchema, summary: 'Replace the recovery codes (password + second factor again)' },
      (req) => {
        assertOneFactor(req.body);
        return withRetryAfter(req, () => account.regenerateRecoveryCodes(req.body));
      },
    );
    ctx.api.post(
      '/auth/peer-challenge',
      { body: peerSchema, summary: 'Ask a peer for fresh proof of its node key' },
      (req) => proofs.prove(req.body.peer),
    );

    if (webauthn) {
      ctx.api.post('/auth/webauthn/register/options', { summary: 'WebAuthn: registration options' }, () =>
        webauthn.registrationOptions(),
      );
      ctx.api.post(
        '/auth/webauthn/register',
        { body: webauthnResponseSchema, summary: 'WebAuthn: register an authenticator' },
        async (req) => {
          const result = await webauthn.register(req.body.response);
          audit('auth.webauthn.registered', { credential: result.id });
          return result;
        },
      );
      ctx.api.post(
        '/auth/webauthn/login/options',
        { public: true, summary: 'WebAuthn: options for a login assertion' },
        () => webauthn.authenticationOptions(),
      );
      ctx.api.get('/auth/webauthn/credentials', { summary: 'WebAuthn: registered authenticators' }, () => ({
        credentials: webauthn.credentials(),
      }));
      ctx.api.delete(
        '/auth/webauthn/credentials/:id',
        {
          params: {
            type: 'object',
            required: ['id'],
            properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,1024}$' } },
          } as const,
          summary: 'WebAuthn: remove an authenticator',
        },
        async (req) => {
          if (!(await webauthn.remove(req.params.id))) {
            throw errors.notFound('OR_ERR_WEBAUTHN_UNKNOWN', 'no such authenticator');
          }
          audit('auth.webauthn.removed', { credential: req.params.id });
          return { removed: req.params.id };
        },
      );
    }
  },
});
