import type { Context } from 'koa';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { PluginLogger } from './logger.js';

/** A JSON Schema object literal, written `as const` so its TypeScript type can be inferred. */
export type Schema = JSONSchema;

/** The TypeScript type a schema describes, or `unknown` when no schema was given. */
export type Infer<S> = S extends JSONSchema ? FromSchema<S> : unknown;

export interface RouteOptions<B = Schema | undefined, P = Schema | undefined, Q = Schema | undefined> {
  /** JSON Schema of the request body; invalid bodies answer 400 OR_ERR_VALIDATION before the handler runs. */
  body?: B;
  /** JSON Schema of the path parameters (all strings). */
  params?: P;
  /** JSON Schema of the query string (all values are strings). */
  query?: Q;
  /**
   * Owner API routes are owner-only by default (the authentication module enforces it); `public: true`
   * opens a route to anonymous callers, e.g. a login endpoint. Ignored on peer routes, which always require
   * an authenticated session.
   */
  public?: boolean;
  /**
   * Accept a non-JSON body. On owner routes it is a byte stream: read it from `req.koa.req`. On peer routes
   * the bytes arrive decrypted and authenticated as a Buffer in `req.body` (the peer sends a Buffer body with
   * `ctx.peers.request`; bounded by the node's body limit), and unsealed bodies are refused.
   */
  raw?: boolean;
  /** Short description, shown by `openred plugins --routes` and in generated docs. */
  summary?: string;
}

/** What a route handler receives. */
export interface RouteRequest<B = unknown, P = unknown, Q = unknown> {
  body: B;
  params: P;
  query: Q;
  /** The authenticated peer's node id on peer routes (`ctx.p2p`), undefined on owner routes. */
  peer: string | undefined;
  /** On peer routes, the headers the peer sent inside the sealed request (`PeerRequestOptions.headers`). */
  headers: Record<string, string | string[] | undefined>;
  requestId: string;
  log: PluginLogger;
  /** Sets the response status (default 200, or 204 when the handler returns undefined). */
  status(code: number): void;
  /** Sets a response header. */
  header(name: string, value: string): void;
  /** The underlying Koa context, for streaming bodies. Plugins that use it own what they do with it. */
  koa: Context;
}

/**
 * A route handler. Its return value is the JSON response; return `undefined` for 204, or a Node stream /
 * Buffer to send bytes. Throw an error from `errors` (or any error with `code` and `status`) to answer
 * `{error: {code, message}}`.
 */
export type RouteHandler<B = unknown, P = unknown, Q = unknown> = (
  req: RouteRequest<B, P, Q>,
) => unknown | Promise<unknown>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Registers routes on one surface. Paths start with a literal segment: `/message`, `/files/:id`. */
export interface RouteRegistrar {
  get<const Q extends Schema | undefined = undefined, const P extends Schema | undefined = undefined>(
    path: string,
    options: RouteOptions<undefined, P, Q>,
    handler: RouteHandler<undefined, Infer<P>, Infer<Q>>,
  ): void;
  get(path: string, handler: RouteHandler): void;
  post<const B extends Schema | undefined = undefined, const P extends Schema | undefined = undefined>(
    path: string,
    options: RouteOptions<B, P>,
    handler: RouteHandler<Infer<B>, Infer<P>>,
  ): void;
  post(path: string, handler: RouteHandler): void;
  put<const B extends Schema | undefined = undefined, const P extends Schema | undefined = undefined>(
    path: string,
    options: RouteOptions<B, P>,
    handler: RouteHandler<Infer<B>, Infer<P>>,
  ): void;
  put(path: string, handler: RouteHandler): void;
  patch<const B extends Schema | undefined = undefined, const P extends Schema | undefined = undefined>(
    path: string,
    options: RouteOptions<B, P>,
    handler: RouteHandler<Infer<B>, Infer<P>>,
  ): void;
  patch(path: string, handler: RouteHandler): void;
  delete<const P extends Schema | undefined = undefined, const Q extends Schema | undefined = undefined>(
    path: string,
    options: RouteOptions<undefined, P, Q>,
    handler: RouteHandler<undefined, Infer<P>, Infer<Q>>,
  ): void;
  delete(path: string, handler: RouteHandler): void;
}
