import type { CryptoEngine } from '../../crypto/engine.js';
import { fromB64u, toB64u } from '../../crypto/encoding.js';
import { assertNodeIdMatchesKeys } from '../../crypto/identity.js';
import { ForbiddenError, isOpenRedError, NotFoundError, OpenRedError } from '../../errors.js';
import { assertValid } from '../../http/validation.js';
import type { TokenManager } from '../../tokens/token-manager.js';
import type { SessionTable } from './session-table.js';
import { handshakeRequestSchema, type HandshakeRequest, type HandshakeResponse } from './wire.js';

/**
 * The responder side of `POST /p2p/handshake`: checks who is asking (self-certifying id), finds the
 * responder token of the grant (waiting briefly: the directory pushes both tokens in parallel), runs Noise
 * message 1 → 2 in the crypto engine (which consumes the grant: a replayed message 1 fails) and records the
 * session. Nothing here sees the psk.
 */
export class HandshakeResponder {
  constructor(
    private readonly engine: CryptoEngine,
    private readonly tokens: TokenManager,
    private readonly sessions: SessionTable,
    private readonly tokenWaitMs = 3000,
  ) {}

  async handle(body: unknown): Promise<HandshakeResponse> {
    const req = assertValid<HandshakeRequest>(handshakeRequestSchema, body);
    assertNodeIdMatchesKeys(req.from, req.keys);
    const stored = this.tokens.get(req.grant_id) ?? (await this.#awaitToken(req.grant_id));
    const grant = stored.token.grant;
    if (stored.token.role !== 'responder') {
      throw new OpenRedError('OR_ERR_HANDSHAKE_ROLE', 'this node is not the responder of that grant', 400);
    }
    if (grant.initiator !== req.from) {
      throw new ForbiddenError('the grant was not issued to this initiator', 'OR_ERR_HANDSHAKE_PEER');
    }
    const { reply, keys } = await this.engine.responderHandshake(stored.token, fromB64u(req.msg), req.keys);
    const session = this.sessions.add(keys);
    return { session_id: session.id, msg: toB64u(reply) };
  }

  /**
   * A grant whose token never arrives is unknown here (a forged or foreign grant id): the caller's mistake,
   * so 404, not the 504 an upstream timeout would be.
   */
  async #awaitToken(grantId: string) {
    try {
      return await this.tokens.waitFor(grantId, this.tokenWaitMs);
    } catch (err) {
      if (isOpenRedError(err) && err.code === 'OR_ERR_TOKEN_TIMEOUT') {
        throw new NotFoundError(`no token for grant ${grantId}`, 'OR_ERR_GRANT_UNKNOWN');
      }
      throw err;
    }
  }
}
