export * from './limits.js';
export * from './json-depth.js';
export * from './json-body.js';
export * from './error-handler.js';
export * from './request-context.js';
export * from './server.js';
export * from './validation.js';
export * from './rate-limiter.js';
