/**
 * Database schema (Drizzle ORM, pg-core): the single source of truth for the tables licensegraph keeps.
 * The same schema serves embedded PGlite and PostgreSQL.
 *
 * Changing the schema (e.g. adding the history tables `sessions` and `samples`):
 *   1. Edit this file: add or alter tables with pg-core builders. Keep every table exported, since
 *      drizzle-kit only sees exported tables, and keep all SQL in src/store/.
 *   2. Generate a migration:  npx drizzle-kit generate --name <what_changed>
 *      (drizzle.config.ts at the repository root points at this file, writes to src/store/migrations,
 *      dialect postgresql; no database connection is needed.)
 *   3. Read the generated src/store/migrations/NNNN_<name>.sql and commit it, together with the
 *      updated migrations/meta/ snapshot and _journal.json. Never edit a migration that has been
 *      released; fix it by making another one. Data back-fills or extra SQL that drizzle-kit cannot
 *      express go in a custom migration: npx drizzle-kit generate --custom --name <name>.
 *   4. Nothing else to do: openStore() applies pending migrations at start-up (drizzle-orm's migrator,
 *      recorded in drizzle.__drizzle_migrations; on PostgreSQL under an advisory lock, so replicas that
 *      start together do not race).
 * To check the schema and the migrations agree: `npx drizzle-kit check`, and `npx drizzle-kit generate`
 * should report "No schema changes".
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import type { Role } from '../domain/auth';

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    username: text('username').notNull().unique('users_username_unique'),
    role: text('role').$type<Role>().notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    disabled: boolean('disabled').notNull().default(false),
  },
  (t) => [check('users_role_check', sql`${t.role} IN ('ADMIN', 'VIEWER', 'UPLOADER')`)],
);

export const accessTokens = pgTable(
  'access_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name'),
    /** Public, non-secret start of the token ("lg_" + 8 characters), shown in listings. */
    prefix: text('prefix').notNull(),
    /** Lower-case hex SHA-256 of the whole token. The token itself is never stored. */
    tokenHash: text('token_hash').notNull().unique('access_tokens_token_hash_unique'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    expiresAt: timestamptz('expires_at'),
    revokedAt: timestamptz('revoked_at'),
    lastUsedAt: timestamptz('last_used_at'),
  },
  (t) => [index('access_tokens_user_id_idx').on(t.userId)],
);

/** API request counts per calendar month (UTC, 'YYYY-MM') and replica; summed across replicas when read. */
export const requestCounters = pgTable(
  'request_counters',
  {
    bucket: text('bucket').notNull(),
    instanceId: text('instance_id').notNull(),
    requestCount: bigint('request_count', { mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({ name: 'request_counters_pk', columns: [t.bucket, t.instanceId] }),
    check('request_counters_bucket_check', sql`${t.bucket} ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`),
  ],
);

/** Running API processes sharing this database, kept fresh by heartbeats. */
export const replicas = pgTable(
  'replicas',
  {
    instanceId: text('instance_id').primaryKey(),
    hostnameHash: text('hostname_hash').notNull(),
    startedAt: timestamptz('started_at').notNull().defaultNow(),
    lastSeenAt: timestamptz('last_seen_at').notNull().defaultNow(),
  },
  (t) => [index('replicas_last_seen_at_idx').on(t.lastSeenAt)],
);

/**
 * Alert rules for the licenseAlerts subscription. Rules from the config file are not stored here (they are
 * re-read at start); rules made through the API are, so every replica and every restart sees them.
 */
export const alertRules = pgTable(
  'alert_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** FREE_BELOW | FREE_PERCENT_BELOW | EXPIRES_WITHIN_DAYS | SERVER_DOWN | DAEMON_DOWN | QUEUE_NONEMPTY */
    kind: text('kind').notNull(),
    /** Feature name or glob; null = every feature. */
    feature: text('feature'),
    /** Server id; null = every server. */
    serverId: text('server_id'),
    /** N licenses, P percent or D days, depending on kind; null for kinds without a threshold. */
    threshold: doublePrecision('threshold'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    check(
      'alert_rules_kind_check',
      sql`${t.kind} in ('FREE_BELOW', 'FREE_PERCENT_BELOW', 'EXPIRES_WITHIN_DAYS', 'SERVER_DOWN', 'DAEMON_DOWN', 'QUEUE_NONEMPTY')`,
    ),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type AlertRuleRow = typeof alertRules.$inferSelect;
export type AccessTokenRow = typeof accessTokens.$inferSelect;
export type RequestCounterRow = typeof requestCounters.$inferSelect;
export type ReplicaRow = typeof replicas.$inferSelect;
