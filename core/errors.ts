/**
 * Every error OpenRed raises on purpose is an OpenRedError with a stable `code` (OR_ERR_*) and the HTTP
 * status it maps to. The HTTP layer turns them into `{error: {code, message}}` in exactly one place
 * (core/http/error-handler.ts); anything that is not an OpenRedError becomes a 500 with a generic message.
 *
 * `isOpenRedError` checks a brand rather than `instanceof`, so errors thrown by a plugin that bundles its own
 * copy of the SDK, or that crossed the crypto agent's IPC channel, are still recognised.
 */
const BRAND = Symbol.for('openred.error');

export class OpenRedError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: unknown;
  readonly [BRAND] = true;

  constructor(code: string, message: string, status = 500, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = options?.details;
  }

  toJSON(): { code: string; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isOpenRedError(value: unknown): value is OpenRedError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Input that does not satisfy a schema or a precondition. */
export class ValidationError extends OpenRedError {
  constructor(message: string, details?: unknown, code = 'OR_ERR_VALIDATION') {
    super(code, message, 400, { details });
  }
}

export class NotFoundError extends OpenRedError {
  constructor(message: string, code = 'OR_ERR_NOT_FOUND') {
    super(code, message, 404);
  }
}

export class ConflictError extends OpenRedError {
  constructor(message: string, code = 'OR_ERR_CONFLICT') {
    super(code, message, 409);
  }
}

export class UnauthorizedError extends OpenRedError {
  constructor(message: string, code = 'OR_ERR_UNAUTHORIZED') {
    super(code, message, 401);
  }
}

export class ForbiddenError extends OpenRedError {
  constructor(message: string, code = 'OR_ERR_FORBIDDEN') {
    super(code, message, 403);
  }
}

export class RateLimitError extends OpenRedError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, code = 'OR_ERR_RATE_LIMITED') {
    super(code, message, 429);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Something we depend on (a peer, the directory, the crypto agent) failed or timed out. */
export class UpstreamError extends OpenRedError {
  constructor(message: string, code = 'OR_ERR_UPSTREAM', status = 502, cause?: unknown) {
    super(code, message, status, { cause });
  }
}

/** Cryptographic verification failed. Messages stay generic on purpose: no oracle for attackers. */
export class CryptoError extends OpenRedError {
  constructor(code: string, message: string, status = 400, cause?: unknown) {
    super(code, message, status, { cause });
  }
}

export class ConfigError extends OpenRedError {
  readonly problems: string[];
  constructor(message: string, problems: string[] = []) {
    super('OR_ERR_CONFIG', message, 500, { details: problems });
    this.problems = problems;
  }
}

export class PluginError extends OpenRedError {
  readonly plugin: string;
  constructor(plugin: string, message: string, code = 'OR_ERR_PLUGIN', cause?: unknown) {
    super(code, `plugin ${plugin}: ${message}`, 500, { cause });
    this.plugin = plugin;
  }
}
