export { TokenStore } from './token-store.js';
export type { StoredToken } from './token-store.js';
export { parseEnvFile, serializeEnvFile, TOKEN_PREFIX } from './env-file.js';
export { sealText, openText, AT_REST_SCHEME } from './sealed-text.js';
export { withFileLock } from './file-lock.js';
export { TokenManager } from './token-manager.js';
export type { TokenManagerOptions } from './token-manager.js';
