import { errors } from '@openred/plugin-sdk';

/** Request bodies of the owner routes. */
const password = { type: 'string', minLength: 1, maxLength: 1024 } as const;

export const setupSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['setup_code', 'password'],
  properties: { setup_code: { type: 'string', minLength: 1, maxLength: 256 }, password },
} as const;

export const setupConfirmSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['enrollment', 'code'],
  properties: {
    enrollment: { type: 'string', minLength: 1, maxLength: 64 },
    code: { type: 'string', minLength: 1, maxLength: 16 },
  },
} as const;

/** Password and one second factor (exactly one: checked by `assertOneFactor`). */
export const loginSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['password'],
  properties: {
    password,
    code: { type: 'string', minLength: 1, maxLength: 16 },
    recovery_code: { type: 'string', minLength: 1, maxLength: 64 },
    webauthn: { type: 'object' },
  },
} as const;

export const peerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['peer'],
  properties: { peer: { type: 'string', pattern: '^or[a-z2-7]{32}$' } },
} as const;

export const webauthnResponseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['response'],
  properties: { response: { type: 'object' } },
} as const;

/** 400 unless exactly one second factor is given (JSON Schema `oneOf` cannot say it in ajv's strict mode). */
export function assertOneFactor(body: { code?: unknown; recovery_code?: unknown; webauthn?: unknown }): void {
  const given = [body.code, body.recovery_code, body.webauthn].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw errors.badRequest('OR_ERR_VALIDATION', 'give exactly one of code, recovery_code, webauthn');
  }
}
