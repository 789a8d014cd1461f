/**
 * Optional WebAuthn second factor (platform authenticators, security keys), with @simplewebauthn/server:
 * the owner, logged in, registers an authenticator; later a login may present an assertion instead of a
 * TOTP code. The library is loaded only when the feature is enabled. Challenges live in memory for five
 * minutes and are single-use.
 */
import { errors, type Clock, type Collection } from '@openred/plugin-sdk';
import type { AuthConfig } from './config.js';

export interface StoredCredential {
  id: string;
  /** base64url COSE public key. */
  publicKey: string;
  counter: number;
  transports?: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

export interface WebAuthnDoc {
  credentials: StoredCredential[];
}

const CHALLENGE_TTL_MS = 5 * 60 * 1000;

type Lib = typeof import('@simplewebauthn/server');

export class WebAuthn {
  readonly #doc: Collection<WebAuthnDoc>;
  readonly #clock: Clock;
  readonly #config: AuthConfig['webauthn'];
  readonly #userId: Uint8Array;
  #lib: Promise<Lib> | undefined;
  #registration: { challenge: string; expiresAt: number } | undefined;
  #authentication: { challenge: string; expiresAt: number } | undefined;

  constructor(doc: Collection<WebAuthnDoc>, clock: Clock, config: AuthConfig['webauthn'], userId: string) {
    this.#doc = doc;
    this.#clock = clock;
    this.#config = config;
    this.#userId = new TextEncoder().encode(userId);
  }

  #load(): Promise<Lib> {
    return (this.#lib ??= import('@simplewebauthn/server'));
  }

  credentials(): Array<Omit<StoredCredential, 'publicKey'>> {
    return this.#doc.data.credentials.map(({ publicKey: _pk, ...rest }) => rest);
  }

  /** Options for `navigator.credentials.create()`. */
  async registrationOptions(): Promise<unknown> {
    const lib = await this.#load();
    const options = await lib.generateRegistrationOptions({
      rpName: this.#config.rpName,
      rpID: this.#config.rpId,
      userName: 'owner',
      userID: this.#userId as Uint8Array<ArrayBuffer>,
      attestationType: 'none',
      excludeCredentials: this.#doc.data.credentials.map((c) => ({ id: c.id, transports: c.transports })),
      authenticatorSelection: { residentKey: 'discouraged', userVerification: 'preferred' },
    });
    this.#registration = { challenge: options.challenge, expiresAt: this.#clock.now() + CHALLENGE_TTL_MS };
    return options;
  }

  /** Verifies the browser's answer to `registrationOptions()` and stores the credential. */
  async register(response: unknown): Promise<{ id: string }> {
    const pending = this.#take('registration');
    const lib = await this.#load();
    let verified;
    try {
      verified = await lib.verifyRegistrationResponse({
        response: response as Parameters<Lib['verifyRegistrationResponse']>[0]['response'],
        expectedChallenge: pending,
        expectedOrigin: this.#config.origins,
        expectedRPID: this.#config.rpId,
        requireUserVerification: false,
      });
    } catch (err) {
      throw errors.badRequest('OR_ERR_WEBAUTHN_INVALID', `registration refused: ${(err as Error).message}`);
    }
    if (!verified.verified) throw errors.badRequest('OR_ERR_WEBAUTHN_INVALID', 'registration refused');
    const c = verified.registrationInfo.credential;
    this.#doc.data.credentials.push({
      id: c.id,
      publicKey: Buffer.from(c.publicKey).toString('base64url'),
      counter: c.counter,
      transports: c.transports,
      createdAt: this.#clock.now(),
      lastUsedAt: null,
    });
    await this.#doc.commit();
    return { id: c.id };
  }

  /** Options for `navigator.credentials.get()` (a login's second factor). */
  async authenticationOptions(): Promise<unknown> {
    if (this.#doc.data.credentials.length === 0) {
      throw errors.conflict('OR_ERR_WEBAUTHN_NONE', 'no authenticator is registered');
    }
    const lib = await this.#load();
    const options = await lib.generateAuthenticationOptions({
      rpID: this.#config.rpId,
      allowCredentials: this.#doc.data.credentials.map((c) => ({ id: c.id, transports: c.transports })),
      userVerification: 'preferred',
    });
    this.#authentication = { challenge: options.challenge, expiresAt: this.#clock.now() + CHALLENGE_TTL_MS };
    return options;
  }

  /** True when `response` is a valid assertion for the pending challenge (which it consumes). */
  async verifyLogin(response: unknown): Promise<boolean> {
    let challenge: string;
    try {
      challenge = this.#take('authentication');
    } catch {
      return false;
    }
    const id = (response as { id?: unknown } | null)?.id;
    const stored = this.#doc.data.credentials.find((c) => c.id === id);
    if (!stored) return false;
    const lib = await this.#load();
    try {
      const result = await lib.verifyAuthenticationResponse({
        response: response as Parameters<Lib['verifyAuthenticationResponse']>[0]['response'],
        expectedChallenge: challenge,
        expectedOrigin: this.#config.origins,
        expectedRPID: this.#config.rpId,
        credential: {
          id: stored.id,
          publicKey: Buffer.from(stored.publicKey, 'base64url') as unknown as Uint8Array<ArrayBuffer>,
          counter: stored.counter,
          transports: stored.transports,
        },
        requireUserVerification: false,
      });
      if (!result.verified) return false;
      stored.counter = result.authenticationInfo.newCounter;
      stored.lastUsedAt = this.#clock.now();
      await this.#doc.commit();
      return true;
    } catch {
      return false;
    }
  }

  async remove(id: string): Promise<boolean> {
    const before = this.#doc.data.credentials.length;
    this.#doc.data.credentials = this.#doc.data.credentials.filter((c) => c.id !== id);
    if (this.#doc.data.credentials.length === before) return false;
    await this.#doc.commit();
    return true;
  }

  #take(kind: 'registration' | 'authentication'): string {
    const pending = kind === 'registration' ? this.#registration : this.#authentication;
    if (kind === 'registration') this.#registration = undefined;
    else this.#authentication = undefined;
    if (!pending || pending.expiresAt <= this.#clock.now()) {
      throw errors.conflict(
        'OR_ERR_WEBAUTHN_CHALLENGE',
        'no pending WebAuthn challenge; ask for options first',
      );
    }
    return pending.challenge;
  }
}
