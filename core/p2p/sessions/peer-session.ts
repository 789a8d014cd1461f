import type { TransportSession } from '../../crypto/transport/transport-session.js';
import type { PeerSessionInfo } from '@openred/plugin-sdk';

/** One established session with a peer: the transport keys plus what the node needs to manage it. */
export interface PeerSession {
  /** Derived from the Noise handshake hash, so both sides name it the same without sending it. */
  id: string;
  peerId: string;
  role: 'initiator' | 'responder';
  transport: TransportSession;
  grantId: string;
  establishedAt: number;
  /** After this the session is refused (the initiator renews before). */
  expiresAt: number;
  lastActivityAt: number;
  /** The peer's /p2p base URL, when known. */
  peerUrl?: string;
}

export function sessionInfo(s: PeerSession, epoch: number, method: string): PeerSessionInfo {
  return {
    id: s.id,
    peer: s.peerId,
    method,
    epoch,
    establishedAt: s.establishedAt,
    lastActivityAt: s.lastActivityAt,
    role: s.role,
  };
}
