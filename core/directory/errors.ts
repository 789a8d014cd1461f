/**
 * The directory's own error codes (stable: clients and docs/directory.md rely on them). Generic codes come
 * from core/errors.ts and core/http (OR_ERR_VALIDATION, OR_ERR_BAD_JSON, OR_ERR_BODY_TOO_LARGE,
 * OR_ERR_RATE_LIMITED, ...) and crypto's OR_ERR_NODE_ID_MISMATCH.
 */
import {
  ConflictError,
  NotFoundError,
  type OpenRedError,
  UnauthorizedError,
  UpstreamError,
  ValidationError,
} from '../errors.js';

export const DirectoryErrorCode = {
  BadSignature: 'OR_ERR_BAD_SIGNATURE',
  SignatureRequired: 'OR_ERR_SIGNATURE_REQUIRED',
  ClockSkew: 'OR_ERR_CLOCK_SKEW',
  StaleRegistration: 'OR_ERR_STALE_REGISTRATION',
  Replayed: 'OR_ERR_REPLAYED_REQUEST',
  UnknownSigner: 'OR_ERR_UNKNOWN_SIGNER',
  UnknownNode: 'OR_ERR_UNKNOWN_NODE',
  NodeOffline: 'OR_ERR_NODE_OFFLINE',
  SelfConnection: 'OR_ERR_SELF_CONNECTION',
  NoCommonSuite: 'OR_ERR_NO_COMMON_SUITE',
  ApiUrlForbidden: 'OR_ERR_API_URL_FORBIDDEN',
  ApiUrlUnresolvable: 'OR_ERR_API_URL_UNRESOLVABLE',
  BadCursor: 'OR_ERR_BAD_CURSOR',
  StoreUnavailable: 'OR_ERR_STORE_UNAVAILABLE',
} as const;

export const badSignature = (what: string): OpenRedError =>
  new UnauthorizedError(`${what}: signature is not valid`, DirectoryErrorCode.BadSignature);

export const signatureRequired = (): OpenRedError =>
  new UnauthorizedError(
    'discover requires OpenRed-Node, OpenRed-Ts and OpenRed-Sig headers from a registered node',
    DirectoryErrorCode.SignatureRequired,
  );

export const clockSkew = (maxSeconds: number): OpenRedError =>
  new UnauthorizedError(
    `ts is more than ${maxSeconds} s away from the directory clock`,
    DirectoryErrorCode.ClockSkew,
  );

export const staleRegistration = (lastTs: number): OpenRedError =>
  new ConflictError(
    `a registration with ts >= this one was already accepted (last ts ${lastTs})`,
    DirectoryErrorCode.StaleRegistration,
  );

export const replayed = (): OpenRedError =>
  new ConflictError('this signed request was already processed', DirectoryErrorCode.Replayed);

export const unknownSigner = (): OpenRedError =>
  new UnauthorizedError('the signing node is not registered', DirectoryErrorCode.UnknownSigner);

export const unknownNode = (id: string): OpenRedError =>
  new NotFoundError(`node ${id} is not registered`, DirectoryErrorCode.UnknownNode);

export const nodeOffline = (id: string): OpenRedError =>
  new ConflictError(`node ${id} is offline`, DirectoryErrorCode.NodeOffline);

export const selfConnection = (): OpenRedError =>
  new ValidationError(
    'a node cannot request a connection to itself',
    undefined,
    DirectoryErrorCode.SelfConnection,
  );

export const noCommonSuite = (): OpenRedError =>
  new ConflictError('the two nodes have no Noise suite in common', DirectoryErrorCode.NoCommonSuite);

export const apiUrlForbidden = (why: string): OpenRedError =>
  new ValidationError(`api_url is not allowed: ${why}`, undefined, DirectoryErrorCode.ApiUrlForbidden);

export const apiUrlUnresolvable = (host: string): OpenRedError =>
  new ValidationError(
    `api_url host ${host} does not resolve`,
    undefined,
    DirectoryErrorCode.ApiUrlUnresolvable,
  );

export const badCursor = (): OpenRedError =>
  new ValidationError('cursor is not valid', undefined, DirectoryErrorCode.BadCursor);

export const storeUnavailable = (cause: unknown): OpenRedError =>
  new UpstreamError('the directory store is unavailable', DirectoryErrorCode.StoreUnavailable, 503, cause);
