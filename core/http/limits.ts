/** The limits every HTTP surface enforces (peers, owner API, directory). Config can tighten or loosen each. */
export interface HttpLimits {
  /** Largest accepted request body, bytes. */
  maxBodyBytes: number;
  /** Deepest accepted JSON nesting (objects + arrays). Checked before JSON.parse runs. */
  maxJsonDepth: number;
  /** Whole request must arrive within this (Node closes the socket with 408 otherwise). */
  requestTimeoutMs: number;
  /** Headers must arrive within this; closes slowloris-style clients. */
  headersTimeoutMs: number;
  /** Idle keep-alive sockets are closed after this. */
  keepAliveTimeoutMs: number;
  /** A handler that runs longer than this answers 503 OR_ERR_TIMEOUT. */
  handlerTimeoutMs: number;
  /**
   * Rate of requests per source address on routes that run before any authentication (token receipt,
   * handshakes): they cost signature checks and DH operations, so they are the cheap way to load a node.
   */
  unauthenticatedPerSecond?: number;
  unauthenticatedBurst?: number;
}

export const defaultHttpLimits: HttpLimits = {
  maxBodyBytes: 1024 * 1024,
  maxJsonDepth: 32,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  handlerTimeoutMs: 30_000,
  unauthenticatedPerSecond: 20,
  unauthenticatedBurst: 60,
};
