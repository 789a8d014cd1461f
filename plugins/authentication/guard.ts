import { errors, type OwnerCredentials, type OwnerGuard, type OwnerSession } from '@openred/plugin-sdk';
import type { SessionStore } from './sessions.js';

/**
 * The owner guard the kernel asks about every non-public `/api` request: `Authorization: Bearer <token>`
 * must name a live session. Before any owner exists, every request is refused with a pointer to setup.
 */
export function createOwnerGuard(deps: { configured: () => boolean; sessions: SessionStore }): OwnerGuard {
  return {
    authenticate(request: OwnerCredentials): OwnerSession {
      if (!deps.configured()) {
        throw errors.unauthorized(
          'OR_ERR_AUTH_NOT_CONFIGURED',
          'owner login is not set up yet: run `openred auth setup` on the node host',
        );
      }
      const header = request.headers.authorization;
      const value = Array.isArray(header) ? header[0] : header;
      if (!value) {
        throw errors.unauthorized(
          'OR_ERR_AUTH_REQUIRED',
          'this route is for the node owner: run `openred login`',
        );
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
      if (!match)
        throw errors.unauthorized('OR_ERR_SESSION_INVALID', 'expected Authorization: Bearer <token>');
      return deps.sessions.check(match[1]!);
    },
  };
}
