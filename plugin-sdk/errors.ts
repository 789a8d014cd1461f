/**
 * Errors a plugin throws to answer `{error: {code, message}}` with a status. The kernel recognises any error
 * carrying this brand, so a plugin's own copy of the SDK works too.
 */
const BRAND = Symbol.for('openred.error');

export class PluginHttpError extends Error {
  readonly [BRAND] = true;
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'PluginHttpError';
  }
  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

export const errors = {
  badRequest: (code: string, message: string, details?: unknown) =>
    new PluginHttpError(code, message, 400, details),
  unauthorized: (code: string, message: string) => new PluginHttpError(code, message, 401),
  forbidden: (code: string, message: string) => new PluginHttpError(code, message, 403),
  notFound: (code: string, message: string) => new PluginHttpError(code, message, 404),
  conflict: (code: string, message: string) => new PluginHttpError(code, message, 409),
  gone: (code: string, message: string) => new PluginHttpError(code, message, 410),
  tooLarge: (code: string, message: string) => new PluginHttpError(code, message, 413),
  /** 429; set a `Retry-After` header with `req.header()` before throwing, when the wait is known. */
  tooManyRequests: (code: string, message: string) => new PluginHttpError(code, message, 429),
  unavailable: (code: string, message: string) => new PluginHttpError(code, message, 503),
};
