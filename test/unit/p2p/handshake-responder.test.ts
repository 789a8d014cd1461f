/**
 * A handshake naming a grant this node never received answers 404 OR_ERR_GRANT_UNKNOWN (found by the HTTP
 * fuzz suite: it answered 504 OR_ERR_TOKEN_TIMEOUT, a server error, for the peer's own mistake).
 */
import { expect } from 'chai';
import { generateNodeKeys, deriveNodeId } from '../../../core/crypto/identity.js';
import { isOpenRedError } from '../../../core/errors.js';
import { systemClock } from '../../../core/kernel/clock.js';
import { silentLogger } from '../../../core/kernel/logger.js';
import { HandshakeResponder } from '../../../core/p2p/sessions/handshake-responder.js';
import { TokenManager } from '../../../core/tokens/token-manager.js';
import type { TokenStore } from '../../../core/tokens/token-store.js';

describe('HandshakeResponder: unknown grant', () => {
  it('answers 404 OR_ERR_GRANT_UNKNOWN once the token wait ends', async () => {
    const peer = generateNodeKeys();
    const tokens = new TokenManager({
      store: { get: () => undefined } as unknown as TokenStore,
      clock: systemClock,
      log: silentLogger(),
      directoryPublicKey: 'A'.repeat(43),
      selfId: deriveNodeId(generateNodeKeys().publicKeys),
    });
    const responder = new HandshakeResponder(null as never, tokens, null as never, 10);
    const err = await responder
      .handle({
        grant_id: 'AAAAAAAAAAAAAAAAAAAAAA',
        from: deriveNodeId(peer.publicKeys),
        keys: peer.publicKeys,
        msg: 'AA',
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isOpenRedError(err)).to.equal(true);
    expect(err).to.include({ status: 404, code: 'OR_ERR_GRANT_UNKNOWN' });
  });
});
