/** Settings of the authentication module (`modules.authentication` in openred.config.ts). */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    /** Lifetime of an owner session token. */
    sessionTtlSeconds: { type: 'integer', minimum: 60, maximum: 2592000, default: 43200 },
    /** Most live sessions; logging in beyond it ends the oldest. */
    maxSessions: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
    passwordMinLength: { type: 'integer', minimum: 8, maximum: 1024, default: 12 },
    /** scrypt cost of new password hashes: N = 2^scryptLog2N (15 = 32 MiB, ~100 ms). Lower only in tests. */
    scryptLog2N: { type: 'integer', minimum: 10, maximum: 20, default: 15 },
    recoveryCodes: { type: 'integer', minimum: 4, maximum: 20, default: 10 },
    /** Name shown in authenticator apps. */
    issuer: { type: 'string', minLength: 1, maxLength: 64, default: 'OpenRed' },
    lockout: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxFailures: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
        baseSeconds: { type: 'integer', minimum: 1, default: 30 },
        maxSeconds: { type: 'integer', minimum: 1, default: 3600 },
      },
    },
    /** Peer challenge-response: how far the prover's clock may be from ours. */
    challengeMaxSkewSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 120 },
    /** Optional second factor with a platform authenticator or security key (WebAuthn). */
    webauthn: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: false },
        /** The relying party id: the host name the owner's browser shows (no scheme, no port). */
        rpId: { type: 'string', minLength: 1, default: 'localhost' },
        rpName: { type: 'string', minLength: 1, default: 'OpenRed' },
        /** The exact origin(s) the browser page runs on, e.g. `http://localhost:7701`. */
        origins: {
          type: 'array',
          items: { type: 'string', pattern: '^https?://' },
          minItems: 1,
          default: ['http://localhost:7701'],
        },
      },
    },
  },
} as const;

export interface AuthConfig {
  sessionTtlSeconds: number;
  maxSessions: number;
  passwordMinLength: number;
  scryptLog2N: number;
  recoveryCodes: number;
  issuer: string;
  lockout: { maxFailures: number; baseSeconds: number; maxSeconds: number };
  challengeMaxSkewSeconds: number;
  webauthn: { enabled: boolean; rpId: string; rpName: string; origins: string[] };
}
