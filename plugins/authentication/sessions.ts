/**
 * Owner session tokens: 256 random bits, given to the client once and stored only as SHA-256, so the data
 * file cannot be replayed as a token. A token expires (`sessionTtlSeconds`) and can be revoked; revoked
 * entries are kept until their expiry so the guard can say "revoked" rather than "unknown".
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { errors, type Clock, type Collection, type OwnerSession } from '@openred/plugin-sdk';

export interface StoredSession {
  id: string;
  /** base64url SHA-256 of the token. */
  hash: string;
  method: string;
  createdAt: number;
  expiresAt: number;
  lastUsedAt: number;
  revokedAt: number | null;
}

export interface SessionsDoc {
  sessions: StoredSession[];
}

const TOKEN = /^ors_[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  readonly #doc: Collection<SessionsDoc>;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #max: number;
  /** token hash → session, rebuilt from the document. */
  #byHash = new Map<string, StoredSession>();

  constructor(doc: Collection<SessionsDoc>, clock: Clock, options: { ttlSeconds: number; max: number }) {
    this.#doc = doc;
    this.#clock = clock;
    this.#ttlMs = options.ttlSeconds * 1000;
    this.#max = options.max;
    this.#reindex();
  }

  /** Creates a session; returns the token (shown once) and the session. */
  async create(method: string): Promise<{ token: string; session: StoredSession }> {
    this.#prune();
    const now = this.#clock.now();
    const live = this.#doc.data.sessions.filter((s) => s.revokedAt === null);
    // Beyond the limit, the oldest sessions end.
    for (const old of live.slice(0, Math.max(0, live.length - this.#max + 1))) old.revokedAt = now;
    const token = 'ors_' + randomBytes(32).toString('base64url');
    const session: StoredSession = {
      id: randomBytes(9).toString('base64url'),
      hash: hashToken(token),
      method,
      createdAt: now,
      expiresAt: now + this.#ttlMs,
      lastUsedAt: now,
      revokedAt: null,
    };
    this.#doc.data.sessions.push(session);
    this.#reindex();
    await this.#doc.commit();
    return { token, session };
  }

  /** The live session a token stands for, or a 401 saying why not. */
  check(token: string): OwnerSession {
    if (!TOKEN.test(token)) throw errors.unauthorized('OR_ERR_SESSION_INVALID', 'malformed session token');
    const hash = hashToken(token);
    // Another version of this plugin (hot reload) may have added a session to the shared document since
    // the index was built: look there before calling a token unknown.
    const found = this.#byHash.get(hash) ?? this.#rescan(hash);
    // The map lookup is by a hash of the secret; the comparison below keeps the final check constant-time.
    if (!found || !timingSafeEqual(Buffer.from(found.hash), Buffer.from(hash))) {
      throw errors.unauthorized('OR_ERR_SESSION_INVALID', 'unknown session token; log in again');
    }
    const now = this.#clock.now();
    if (found.revokedAt !== null) {
      throw errors.unauthorized('OR_ERR_SESSION_REVOKED', 'this session was ended; log in again');
    }
    if (found.expiresAt <= now) {
      throw errors.unauthorized('OR_ERR_SESSION_EXPIRED', 'this session has expired; log in again');
    }
    found.lastUsedAt = now; // in memory; persisted with the next change
    return publicView(found);
  }

  /** Revokes a session by id; false when there is no such live session. */
  async revoke(id: string): Promise<boolean> {
    const s = this.#doc.data.sessions.find((x) => x.id === id && x.revokedAt === null);
    if (!s) return false;
    s.revokedAt = this.#clock.now();
    await this.#doc.commit();
    return true;
  }

  /** Revokes every live session; returns how many. */
  async revokeAll(): Promise<number> {
    const now = this.#clock.now();
    let n = 0;
    for (const s of this.#doc.data.sessions) {
      if (s.revokedAt === null && s.expiresAt > now) {
        s.revokedAt = now;
        n++;
      }
    }
    await this.#doc.commit();
    return n;
  }

  /** Live sessions, oldest first. */
  list(): Array<OwnerSession & { lastUsedAt: number }> {
    const now = this.#clock.now();
    return this.#doc.data.sessions
      .filter((s) => s.revokedAt === null && s.expiresAt > now)
      .map((s) => ({ ...publicView(s), lastUsedAt: s.lastUsedAt }));
  }

  /** Drops entries past their expiry (revoked or not). */
  #prune(): void {
    const now = this.#clock.now();
    const keep = this.#doc.data.sessions.filter((s) => s.expiresAt > now);
    if (keep.length !== this.#doc.data.sessions.length) {
      this.#doc.data.sessions = keep;
      this.#reindex();
    }
  }

  #rescan(hash: string): StoredSession | undefined {
    const found = this.#doc.data.sessions.find((s) => s.hash === hash);
    if (found) this.#reindex();
    return found;
  }

  #reindex(): void {
    this.#byHash = new Map(this.#doc.data.sessions.map((s) => [s.hash, s]));
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

function publicView(s: StoredSession): OwnerSession {
  return { id: s.id, method: s.method, createdAt: s.createdAt, expiresAt: s.expiresAt };
}
