/**
 * What exactly gets signed in each directory request, shared by the service (verifying) and the client
 * (signing through a callback, so it never sees a private key). Every signature is Ed25519 with the node's key
 * over RFC 8785 canonical JSON:
 *
 * - register: the body without `sig`;
 * - request-connection: the body without `sig`;
 * - discover (a GET, so no body): `{method: "GET", path: "/api/v3/nodes/discover", query, ts, node}` where
 *   `query` is the object of query parameters exactly as sent (string values), carried in the headers
 *   `OpenRed-Node`, `OpenRed-Ts`, `OpenRed-Sig`. The path is the API path, not the URL path, so a reverse proxy
 *   that mounts the directory under a prefix does not break signatures.
 *
 * The three payloads have disjoint field sets, so a signature made for one can never verify as another.
 */
import { canonicalBytes } from '../crypto/canonical-json.js';
import { toB64u } from '../crypto/encoding.js';
import { verifyCanonical } from '../crypto/signatures.js';
import { API_PREFIX } from './protocol.js';

/** Signs bytes with the node's Ed25519 key (in the crypto agent, or inline); returns the 64-byte signature. */
export type SignFn = (data: Uint8Array) => Promise<Uint8Array>;

export const DISCOVER_PATH = `${API_PREFIX}/nodes/discover`;

export function withoutSig<T extends { sig?: unknown }>(body: T): Omit<T, 'sig'> {
  const copy = { ...body };
  delete copy.sig;
  return copy;
}

export interface DiscoverSignedPayload {
  method: 'GET';
  path: string;
  query: Record<string, string>;
  ts: number;
  node: string;
}

export function discoverPayload(
  query: Record<string, string>,
  ts: number,
  node: string,
): DiscoverSignedPayload {
  return { method: 'GET', path: DISCOVER_PATH, query, ts, node };
}

/** Signs the canonical bytes of `payload` through `sign`; base64url. */
export async function signPayload(sign: SignFn, payload: unknown): Promise<string> {
  return toB64u(await sign(canonicalBytes(payload)));
}

export function verifyPayload(ed25519PublicKey: string, payload: unknown, sig: string): boolean {
  return verifyCanonical(ed25519PublicKey, payload, sig);
}

/** True when `ts` (ms) is within `maxSkewSeconds` of `now` (ms), either side. */
export function withinSkew(ts: number, now: number, maxSkewSeconds: number): boolean {
  return Math.abs(now - ts) <= maxSkewSeconds * 1000;
}
