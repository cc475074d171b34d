/**
 * Bearer-token authentication and the user/token operations behind the GraphQL, REST and CLI faces.
 *
 * Tokens are looked up by SHA-256 hash. Successful look-ups are cached in memory for cacheTtlMs so a busy
 * dashboard does not reach the database on every request; a token's expiry is checked at each use, and a
 * revocation made through this service drops the cache entry at once. (A revocation made by another
 * replica takes effect here within cacheTtlMs.) Last-used times are gathered in memory and written in
 * one batched UPDATE at most every lastUsedFlushMs, and on close().
 */
import type { AccessTokenInfo, Principal, Role, User } from '../domain/auth';
import { ConflictError } from '../store/errors';
import { hashToken, TOKEN_RE, type ActiveToken, type IssuedToken } from '../store/repositories/tokens';
import type { Store, StoreLogger } from '../store/store';
import { systemTimers, type Timers } from './clock';

export interface AuthServiceOptions {
  /** How long a successful look-up is reused. Default 5,000 ms. 0 disables the cache. */
  cacheTtlMs?: number;
  /** Longest delay before recorded uses reach access_tokens.last_used_at. Default 60,000 ms. */
  lastUsedFlushMs?: number;
  /** Cache bound. Default 10,000 entries. */
  cacheMaxEntries?: number;
  logger?: StoreLogger;
  /** Clock, for tests. */
  now?: () => number;
  /** The timers the last-used flush runs on (default: the system's; tests inject a controllable clock). */
  timers?: Timers;
}

interface CacheEntry {
  active: ActiveToken;
  /** Epoch ms after which the entry must be looked up again. */
  freshUntil: number;
}

const BEARER_RE = /^bearer +(\S+)$/i;
export const BOOTSTRAP_ADMIN_USERNAME = 'admin';

export class AuthService {
  private readonly cacheTtlMs: number;
  private readonly lastUsedFlushMs: number;
  private readonly cacheMax: number;
  private readonly now: () => number;
  private readonly logger: StoreLogger | undefined;

  /** token hash -> cached principal. Map order = insertion order, used for eviction. */
  private readonly cache = new Map<string, CacheEntry>();
  /** Concurrent look-ups of the same token share one query. */
  private readonly inflight = new Map<string, Promise<ActiveToken | null>>();
  /** token id -> last use (epoch ms), not yet written. */
  private pendingUses = new Map<string, number>();
  private flushTimer: unknown;
  private readonly timers: Timers;
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Bumped by every invalidation, so a look-up that started before it is not cached after it. */
  private generation = 0;

  constructor(
    private readonly store: Pick<Store, 'users' | 'tokens'>,
    opts: AuthServiceOptions = {},
  ) {
    this.cacheTtlMs = opts.cacheTtlMs ?? 5000;
    this.lastUsedFlushMs = opts.lastUsedFlushMs ?? 60_000;
    this.cacheMax = opts.cacheMaxEntries ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? systemTimers;
    this.logger = opts.logger;
  }

  /**
   * Resolves an Authorization header to a principal. Accepts exactly "Bearer <token>" (scheme in any
   * case). Returns null for a missing or malformed header, an unknown, revoked or expired token, or a
   * disabled user; malformed tokens never reach the database.
   */
  async authenticate(authorizationHeader: string | undefined): Promise<Principal | null> {
    if (typeof authorizationHeader !== 'string') return null;
    const match = BEARER_RE.exec(authorizationHeader.trim());
    const token = match?.[1];
    if (!token || !TOKEN_RE.test(token)) return null;

    const hash = hashToken(token);
    const now = this.now();
    let active: ActiveToken | null;
    const cached = this.cache.get(hash);
    if (cached && cached.freshUntil > now) {
      active = cached.active;
    } else {
      if (cached) this.cache.delete(hash);
      active = await this.lookUp(hash);
    }
    if (!active) return null;
    const expiresAt = active.info.expiresAt;
    if (expiresAt && expiresAt.getTime() <= this.now()) {
      this.cache.delete(hash);
      return null;
    }
    this.recordUse(active.principal.tokenId);
    return { ...active.principal };
  }

  private lookUp(hash: string): Promise<ActiveToken | null> {
    const running = this.inflight.get(hash);
    if (running) return running;
    const generation = this.generation;
    const promise: Promise<ActiveToken | null> = this.store.tokens
      .findActiveByHash(hash, new Date(this.now()))
      .then((active) => {
        if (active && this.cacheTtlMs > 0 && !this.closed && generation === this.generation)
          this.remember(hash, active);
        return active;
      })
      .finally(() => {
        if (this.inflight.get(hash) === promise) this.inflight.delete(hash);
      });
    this.inflight.set(hash, promise);
    return promise;
  }

  private remember(hash: string, active: ActiveToken): void {
    this.cache.delete(hash);
    while (this.cache.size >= this.cacheMax) {
      const oldest = this.cache.keys().next();
      if (oldest.done) break;
      this.cache.delete(oldest.value);
    }
    this.cache.set(hash, { active, freshUntil: this.now() + this.cacheTtlMs });
  }

  /** Drops cached look-ups matching a predicate (after a revocation, a user being disabled, ...). */
  private forget(predicate: (active: ActiveToken) => boolean): void {
    this.generation++;
    this.inflight.clear();
    for (const [hash, entry] of this.cache) {
      if (predicate(entry.active)) this.cache.delete(hash);
    }
  }

  /** Drops every cached look-up. */
  clearCache(): void {
    this.generation++;
    this.inflight.clear();
    this.cache.clear();
  }

  private recordUse(tokenId: string): void {
    this.pendingUses.set(tokenId, this.now());
    if (!this.flushTimer && !this.closed) {
      this.flushTimer = this.timers.setTimeout(() => {
        this.flushTimer = undefined;
        void this.flushLastUsed();
      }, this.lastUsedFlushMs);
    }
  }

  /** Writes recorded uses now (one batched UPDATE). Failed writes are kept for the next flush. */
  async flushLastUsed(): Promise<void> {
    if (this.flushing) await this.flushing;
    if (this.pendingUses.size === 0) return;
    const batch = this.pendingUses;
    this.pendingUses = new Map();
    let latest = 0;
    for (const at of batch.values()) latest = Math.max(latest, at);
    this.flushing = this.store.tokens
      .touchLastUsed([...batch.keys()], new Date(latest))
      .then(
        () => undefined,
        (err: unknown) => {
          this.logger?.warn(`auth: could not record token last-used times: ${(err as Error).message}`);
          for (const [id, at] of batch) {
            if ((this.pendingUses.get(id) ?? 0) < at) this.pendingUses.set(id, at);
          }
        },
      )
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }

  /** Stops the flush timer and writes pending last-used times. Call before closing the store. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.flushTimer) this.timers.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flushLastUsed();
    this.cache.clear();
  }

  // ---- users and tokens ----------------------------------------------------------------------

  /** @throws ValidationError ('username' | 'role'), ConflictError ('username'). */
  createUser(input: { username: string; role: Role }): Promise<User> {
    return this.store.users.create(input);
  }

  listUsers(): Promise<User[]> {
    return this.store.users.list();
  }

  /** Disables or re-enables a user; a disabled user's cached tokens stop working at once. */
  async setUserDisabled(userId: string, disabled: boolean): Promise<User | null> {
    const user = await this.store.users.setDisabled(userId, disabled);
    if (user && disabled) this.forget((a) => a.principal.userId === userId);
    return user;
  }

  /** @throws NotFoundError ('userId'), ValidationError ('expiresInDays' | 'name' | 'servers'). */
  issueToken(input: {
    userId: string;
    name?: string | null;
    expiresInDays?: number | null;
    servers?: readonly string[] | null;
  }): Promise<IssuedToken> {
    return this.store.tokens.issue(input);
  }

  /**
   * An ADMIN may revoke any token, anyone else only their own. Returns null when the token does not
   * exist or the principal may not revoke it.
   */
  async revokeToken(id: string, principal: Principal): Promise<AccessTokenInfo | null> {
    const info = await this.store.tokens.revoke(id, principal.role === 'ADMIN' ? {} : { byUserId: principal.userId });
    if (info) this.forget((a) => a.principal.tokenId === id);
    return info;
  }

  /** ADMIN: every token; others: their own. */
  listTokens(principal: Principal): Promise<AccessTokenInfo[]> {
    return this.store.tokens.list(principal.role === 'ADMIN' ? {} : { userId: principal.userId });
  }

  /**
   * First start: when there are no users at all, creates 'admin' (ADMIN) and issues it a token, which
   * the caller must show once. Returns null when users already exist (including when another replica
   * bootstrapped at the same moment).
   */
  async bootstrapAdmin(): Promise<{ token: string; user: User; info: AccessTokenInfo } | null> {
    if ((await this.store.users.count()) > 0) return null;
    let user: User;
    try {
      user = await this.store.users.create({ username: BOOTSTRAP_ADMIN_USERNAME, role: 'ADMIN' });
    } catch (err) {
      if (err instanceof ConflictError) return null;
      throw err;
    }
    const { token, info } = await this.store.tokens.issue({ userId: user.id, name: 'bootstrap' });
    return { token, user, info };
  }
}
