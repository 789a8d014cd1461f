import { join } from 'node:path';
import type { Context } from 'koa';
import type { CipherRegistry } from '../crypto/ciphers/registry.js';
import type { CryptoEngine } from '../crypto/engine.js';
import { PolicyRegistry } from '../crypto/epochs.js';
import type { GrantLedger } from '../crypto/grant-ledger.js';
import { jsonBody } from '../http/json-body.js';
import { RateLimiter } from '../http/rate-limiter.js';
import { assertValid } from '../http/validation.js';
import { HandshakeResponder } from '../p2p/sessions/handshake-responder.js';
import { PeerPool } from '../p2p/sessions/peer-pool.js';
import { PeerService } from '../p2p/sessions/peer-service.js';
import { SessionTable } from '../p2p/sessions/session-table.js';
import type { PeerSession } from '../p2p/sessions/peer-session.js';
import { sessionStage } from '../p2p/sessions/session-stage.js';
import { TokenManager } from '../tokens/token-manager.js';
import { TokenStore } from '../tokens/token-store.js';
import { OpenRedError } from '../errors.js';
import type { Service } from './lifecycle.js';
import type { OpenRedNode } from './node.js';

/** The node-to-node layer: tokens, sessions, the handshake route, and the peer client plugins use. */
export interface SessionLayer {
  sessions: SessionTable;
  pool: PeerPool;
  peers: PeerService;
  /** Set once the node's tokens are loaded (needs the engine's derived key). */
  tokens: TokenManager | undefined;
  /** The node the layer serves, once its services are created. */
  node: OpenRedNode | undefined;
  /** For the crypto engine: consumed grants live in the token store, so a replay fails even after a restart. */
  ledger: GrantLedger;
  services(node: OpenRedNode): Service[];
}

export function createSessionLayer(options: {
  engine: CryptoEngine;
  registry: CipherRegistry;
  config: OpenRedNode['config'];
  clock: OpenRedNode['clock'];
  log: OpenRedNode['log'];
}): SessionLayer {
  const { engine, registry, config, clock, log } = options;
  const policies = new PolicyRegistry();
  const sessions = new AnnouncingSessionTable({
    clock,
    registry,
    policy: policies.get(config.crypto.methodPolicy),
    epochSeconds: config.crypto.epochSeconds,
    graceSeconds: config.crypto.graceSeconds,
    ttlMs: config.crypto.sessionTtlSeconds * 1000,
    maxSessions: 10_000,
  });
  const pool = new PeerPool({
    connectionsPerPeer: 8,
    maxPeers: 256,
    idleTimeoutMs: 30_000,
    requestTimeoutMs: config.server.limits.handlerTimeoutMs,
  });
  const layer: SessionLayer = {
    sessions,
    pool,
    tokens: undefined,
    node: undefined,
    ledger: { consume: async (grantId) => (layer.tokens ? layer.tokens.consume(grantId) : false) },
    peers: new PeerService({
      selfId: () => engine.nodeId,
      selfKeys: () => engine.publicKeys,
      engine,
      tokens: () => {
        if (!layer.tokens) throw new OpenRedError('OR_ERR_NOT_READY', 'the node is still starting', 503);
        return layer.tokens;
      },
      sessions,
      pool,
      directory: () => layer.node?.directoryClient,
      clock,
      log: log.child({ component: 'peers' }),
      epochSeconds: config.crypto.epochSeconds,
    }),
    services: (node) => {
      layer.node = node;
      sessions.onAdded = (session, renewed) => {
        node.events.emit('session.established', { peer: session.peerId, role: session.role, renewed });
        layer.peers.learnAddress(session);
      };
      return sessionServices(node, layer, engine);
    },
  };
  return layer;
}

/**
 * The session table, announcing each new session (either role) as `session.established` on the node's event
 * bus; `renewed` is true when it replaces a live session with the same peer.
 */
class AnnouncingSessionTable extends SessionTable {
  onAdded: ((session: PeerSession, renewed: boolean) => void) | undefined;

  override add(...args: Parameters<SessionTable['add']>): PeerSession {
    const renewed = this.current(args[0].peerId) !== undefined;
    const session = super.add(...args);
    this.onAdded?.(session, renewed);
    return session;
  }
}

/** The error code to report in events: stable codes only, never messages (they may quote input). */
function codeOf(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^OR_ERR_[A-Z0-9_]+$/.test(code) ? code : 'OR_ERR_INTERNAL';
}

function sessionServices(node: OpenRedNode, layer: SessionLayer, engine: CryptoEngine): Service[] {
  const { config } = node;
  node.sessions = layer.sessions;
  const limits = config.server.limits;
  node.dispatcher.addStage(
    'p2p',
    sessionStage({ sessions: layer.sessions, log: node.log, maxJsonDepth: limits.maxJsonDepth }),
  );

  // Unauthenticated kernel routes (tokens from the directory, handshakes from peers): rate-limited per source.
  const perSource = new RateLimiter(
    { perSecond: limits.unauthenticatedPerSecond ?? 20, burst: limits.unauthenticatedBurst ?? 60 },
    node.clock,
  );
  const limit = async (ctx: Context, next: () => Promise<unknown>): Promise<void> => {
    perSource.take(ctx.ip || 'unknown');
    await next();
  };
  const body = jsonBody({ maxBytes: 64 * 1024, maxDepth: 8 });
  let responder: HandshakeResponder | undefined;
  node.p2pRouter.post('/tokens/receive', limit, body, async (ctx) => {
    try {
      ctx.body = await layer.tokens!.receive(ctx.request.body);
    } catch (err) {
      node.events.emit('token.rejected', { code: codeOf(err) });
      throw err;
    }
  });
  // Success is announced by the session table (`session.established`, both roles); failures here.
  node.p2pRouter.post('/handshake', limit, body, async (ctx) => {
    try {
      ctx.body = await responder!.handle(ctx.request.body);
    } catch (err) {
      const from = (ctx.request.body as { from?: unknown } | undefined)?.from;
      node.events.emit('session.failed', {
        peer: typeof from === 'string' ? from : null,
        role: 'responder',
        code: codeOf(err),
      });
      throw err;
    }
  });
  node.apiRouter.get('/peers', (ctx) => {
    ctx.body = { sessions: layer.peers.sessions(), pool: layer.pool.stats() };
  });
  node.apiRouter.post('/peers/connect', body, async (ctx) => {
    const { node_id } = assertValid<{ node_id: string }>(
      {
        type: 'object',
        additionalProperties: false,
        required: ['node_id'],
        properties: { node_id: { type: 'string', pattern: '^or[a-z2-7]{32}$' } },
      },
      ctx.request.body,
    );
    ctx.body = await layer.peers.connect(node_id);
  });
  // The directory's members as this node sees them (the signed listing; keys checked against ids).
  node.apiRouter.get('/peers/directory', async (ctx) => {
    const client = node.directoryClient;
    if (!client) throw new OpenRedError('OR_ERR_NO_DIRECTORY', 'this node uses no directory', 503);
    const nodes: Array<Record<string, unknown>> = [];
    for await (const n of client.listAll({ limit: 200 })) {
      nodes.push({
        node_id: n.node_id,
        status: n.status,
        last_seen: n.last_seen,
        capabilities: n.capabilities,
      });
      if (nodes.length >= 1000) break;
    }
    ctx.body = { nodes };
  });

  let sweeper: NodeJS.Timeout | undefined;
  return [
    {
      name: 'tokens',
      dependsOn: ['crypto'],
      start: async () => {
        const store = new TokenStore({
          file: join(config.node.dataDir, 'tokens.env'),
          key: await engine.deriveKey('token-store'),
          log: node.log.child({ component: 'tokens' }),
        });
        layer.tokens = new TokenManager({
          store,
          clock: node.clock,
          log: node.log.child({ component: 'tokens' }),
          events: node.events,
          directoryPublicKey: config.directory.publicKey!,
          selfId: engine.nodeId,
        });
        await layer.tokens.start();
        node.tokens = layer.tokens;
        responder = new HandshakeResponder(engine, layer.tokens, layer.sessions);
      },
      stop: async () => {
        await layer.tokens?.stop();
      },
    },
    {
      name: 'sessions',
      dependsOn: ['tokens'],
      start: async () => {
        sweeper = setInterval(() => layer.sessions.sweep(), 30_000);
        sweeper.unref();
      },
      stop: async () => {
        clearInterval(sweeper);
        await layer.pool.close();
        layer.sessions.clear();
      },
    },
  ];
}
