import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { AccessTokenInfo, Principal } from '../../domain/auth';
import { isUuid, type Database } from '../db';
import { NotFoundError, ValidationError } from '../errors';
import { accessTokens, users } from '../schema';

/** 'lg_' + base64url of 32 random bytes (256 bits) = 46 characters. */
export const TOKEN_PREFIX = 'lg_';
export const TOKEN_RE = /^lg_[A-Za-z0-9_-]{43}$/;
/** Length of the public prefix kept in clear: 'lg_' + 8 characters. */
export const TOKEN_DISPLAY_PREFIX_LENGTH = 11;
export const MAX_TOKEN_NAME_LENGTH = 100;
export const MAX_EXPIRES_IN_DAYS = 36500;
/** Server ids a token may be scoped to: the config's id pattern, at most this many. */
export const SCOPE_SERVER_RE = /^[a-z0-9-]{1,64}$/;
export const MAX_SCOPE_SERVERS = 100;

/** The push scope as stored: null (unscoped) or a sorted, de-duplicated list of valid server ids. */
export function normalizeScope(servers: readonly string[] | null | undefined): string[] | null {
  if (servers == null || servers.length === 0) return null;
  const bad = servers.find((s) => typeof s !== 'string' || !SCOPE_SERVER_RE.test(s));
  if (bad !== undefined)
    throw new ValidationError(
      `servers: "${String(bad)}" is not a server id (lowercase letters, digits and dashes)`,
      'servers',
    );
  const list = [...new Set(servers)].sort();
  if (list.length > MAX_SCOPE_SERVERS)
    throw new ValidationError(`servers: at most ${MAX_SCOPE_SERVERS} server ids`, 'servers');
  return list;
}

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Lower-case hex SHA-256 of the whole token: what the database stores and looks up. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A token that may be used right now, with who it speaks for. */
export interface ActiveToken {
  principal: Principal;
  info: AccessTokenInfo;
}

export interface IssuedToken {
  /** The secret. Returned once, never stored: show it to the holder and forget it. */
  token: string;
  info: AccessTokenInfo;
}

const infoColumns = {
  id: accessTokens.id,
  userId: accessTokens.userId,
  username: users.username,
  name: accessTokens.name,
  prefix: accessTokens.prefix,
  createdAt: accessTokens.createdAt,
  expiresAt: accessTokens.expiresAt,
  revokedAt: accessTokens.revokedAt,
  lastUsedAt: accessTokens.lastUsedAt,
  servers: accessTokens.servers,
};

const TOUCH_CHUNK = 5000;

export class TokenRepository {
  constructor(private readonly db: Database) {}

  /**
   * Creates a token for a user, optionally scoped to the servers it may push to (servers; null/empty = unscoped).
   * @throws NotFoundError ('userId'), ValidationError ('expiresInDays' | 'name' | 'servers').
   */
  async issue(input: {
    userId: string;
    name?: string | null;
    expiresInDays?: number | null;
    servers?: readonly string[] | null;
  }): Promise<IssuedToken> {
    const servers = normalizeScope(input.servers);
    const name = input.name == null ? null : input.name.trim() || null;
    if (name !== null && name.length > MAX_TOKEN_NAME_LENGTH) {
      throw new ValidationError(`name must be at most ${MAX_TOKEN_NAME_LENGTH} characters`, 'name');
    }
    let expiresAt: Date | null = null;
    if (input.expiresInDays != null) {
      const days = input.expiresInDays;
      if (!Number.isFinite(days) || days <= 0 || days > MAX_EXPIRES_IN_DAYS) {
        throw new ValidationError(
          `expiresInDays must be a number of days in (0, ${MAX_EXPIRES_IN_DAYS}]`,
          'expiresInDays',
        );
      }
      expiresAt = new Date(Date.now() + Math.round(days * 86_400_000));
    }
    const owner = isUuid(input.userId)
      ? (await this.db.select({ username: users.username }).from(users).where(eq(users.id, input.userId)).limit(1))[0]
      : undefined;
    if (!owner) throw new NotFoundError(`no user with id ${input.userId}`, 'userId');

    const token = generateToken();
    const [row] = await this.db
      .insert(accessTokens)
      .values({
        userId: input.userId,
        name,
        prefix: token.slice(0, TOKEN_DISPLAY_PREFIX_LENGTH),
        tokenHash: hashToken(token),
        expiresAt,
        servers,
      })
      .returning();
    if (!row) throw new Error('insert into access_tokens returned no row');
    return {
      token,
      info: {
        id: row.id,
        userId: row.userId,
        username: owner.username,
        name: row.name,
        prefix: row.prefix,
        createdAt: row.createdAt,
        expiresAt: row.expiresAt,
        revokedAt: row.revokedAt,
        lastUsedAt: row.lastUsedAt,
        servers: row.servers ?? null,
      },
    };
  }

  /** The token with this hash if it is usable at `at`: not revoked, not expired, its user not disabled. */
  async findActiveByHash(tokenHash: string, at: Date = new Date()): Promise<ActiveToken | null> {
    const rows = await this.db
      .select({ ...infoColumns, role: users.role })
      .from(accessTokens)
      .innerJoin(users, eq(users.id, accessTokens.userId))
      .where(
        and(
          eq(accessTokens.tokenHash, tokenHash),
          isNull(accessTokens.revokedAt),
          or(isNull(accessTokens.expiresAt), gt(accessTokens.expiresAt, at)),
          eq(users.disabled, false),
        ),
      )
      .limit(1);
    const row = rows[0];
    if (!row) return null;
    const { role, ...info } = row;
    const principal = { userId: row.userId, username: row.username, role, tokenId: row.id };
    // A push scope only on scoped tokens: unscoped ones look exactly as before.
    return {
      principal: row.servers ? { ...principal, servers: row.servers } : principal,
      info: { ...info, servers: row.servers ?? null },
    };
  }

  async findById(id: string): Promise<AccessTokenInfo | null> {
    if (!isUuid(id)) return null;
    const rows = await this.db
      .select(infoColumns)
      .from(accessTokens)
      .innerJoin(users, eq(users.id, accessTokens.userId))
      .where(eq(accessTokens.id, id))
      .limit(1);
    return rows[0] ?? null;
  }

  /** Tokens (including revoked and expired ones), newest first; only one user's when userId is given. */
  async list(filter: { userId?: string } = {}): Promise<AccessTokenInfo[]> {
    if (filter.userId !== undefined && !isUuid(filter.userId)) return [];
    return this.db
      .select(infoColumns)
      .from(accessTokens)
      .innerJoin(users, eq(users.id, accessTokens.userId))
      .where(filter.userId !== undefined ? eq(accessTokens.userId, filter.userId) : undefined)
      .orderBy(desc(accessTokens.createdAt), desc(accessTokens.id));
  }

  /**
   * Revokes a token (idempotent: an already revoked token keeps its first revocation time).
   * With byUserId, only a token of that user can be revoked. Returns null when there is no such token
   * or it belongs to someone else (callers cannot tell the two apart, on purpose).
   */
  async revoke(id: string, opts: { byUserId?: string } = {}, at: Date = new Date()): Promise<AccessTokenInfo | null> {
    if (!isUuid(id)) return null;
    if (opts.byUserId !== undefined && !isUuid(opts.byUserId)) return null;
    const updated = await this.db
      .update(accessTokens)
      .set({ revokedAt: sql`coalesce(${accessTokens.revokedAt}, ${at.toISOString()}::timestamptz)` })
      .where(
        and(eq(accessTokens.id, id), opts.byUserId !== undefined ? eq(accessTokens.userId, opts.byUserId) : undefined),
      )
      .returning({ id: accessTokens.id });
    if (updated.length === 0) return null;
    return this.findById(id);
  }

  /**
   * Records that tokens were used at `at`, in one UPDATE per 5,000 ids. Never moves last_used_at
   * backwards. Returns how many rows changed.
   */
  async touchLastUsed(ids: readonly string[], at: Date): Promise<number> {
    const unique = [...new Set(ids)].filter(isUuid);
    let changed = 0;
    for (let i = 0; i < unique.length; i += TOUCH_CHUNK) {
      const chunk = unique.slice(i, i + TOUCH_CHUNK);
      const rows = await this.db
        .update(accessTokens)
        .set({ lastUsedAt: at })
        .where(
          and(inArray(accessTokens.id, chunk), or(isNull(accessTokens.lastUsedAt), lt(accessTokens.lastUsedAt, at))),
        )
        .returning({ id: accessTokens.id });
      changed += rows.length;
    }
    return changed;
  }
}
