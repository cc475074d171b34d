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
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { Role } from '../domain/auth';
import { ALERT_KINDS } from '../domain/alerts';

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
    /** Push scope: the server ids this token may push status to (ingest); null = every ingest-type server. */
    servers: text('servers').array(),
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
    /** One of ALERT_KINDS (src/domain/alerts.ts). */
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
  (t) => [check('alert_rules_kind_check', sql`${t.kind} in (${sql.raw(ALERT_KINDS.map((k) => `'${k}'`).join(', '))})`)],
);

/*
 * Usage history (issue 5). Written by HistoryRepository (src/store/repositories/history.ts) in one transaction per
 * poll; read by UsageRepository (src/store/repositories/usage.ts). All day columns are UTC midnights.
 */

/**
 * Checkout sessions: one row per checkout, opened when a poll first sees it, closed when an UP poll no longer does.
 * Identity (unique): server, feature, user, host, display, handle, start key (the reported start instant, or the
 * raw start text when it could not be read). Re-inserting a known checkout is an ON CONFLICT update, so a poll
 * replayed after a crash duplicates nothing. ended_at = midpoint(last_seen, gone_at); both bounds are kept.
 */
export const checkoutSessions = pgTable(
  'checkout_sessions',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    serverId: text('server_id').notNull(),
    feature: text('feature').notNull(),
    /** '' when unknown (kept non-null so the rollup keys stay simple). */
    version: text('version').notNull().default(''),
    username: text('username').notNull(),
    hostname: text('hostname').notNull(),
    display: text('display').notNull().default(''),
    handle: text('handle').notNull().default(''),
    startKey: text('start_key').notNull(),
    /**
     * Where license-hours are counted from (never after first_seen): the reported start, except that a start
     * reported more than one poll interval before the poll preceding the first sighting (before the server's first
     * observation, or an untrusted start) counts from that poll (or from first_seen), unless the server's
     * countReportedStart setting says otherwise. first_seen when the start could not be read.
     */
    startedAt: timestamptz('started_at').notNull(),
    /** The start as the server reported it (null when it could not be read). */
    reportedStart: timestamptz('reported_start'),
    /** Licenses held by the checkout. */
    count: integer('count').notNull(),
    firstSeen: timestamptz('first_seen').notNull(),
    /** The last poll that saw it (updated by every poll while open). */
    lastSeen: timestamptz('last_seen').notNull(),
    /** The first poll that did not see it (null while open). */
    goneAt: timestamptz('gone_at'),
    /** midpoint(last_seen, gone_at); null while open. */
    endedAt: timestamptz('ended_at'),
  },
  (t) => [
    uniqueIndex('checkout_sessions_identity_uq').on(
      t.serverId,
      t.feature,
      t.username,
      t.hostname,
      t.display,
      t.handle,
      t.startKey,
    ),
    index('checkout_sessions_open_idx')
      .on(t.serverId)
      .where(sql`${t.endedAt} is null`),
    index('checkout_sessions_started_at_idx').on(t.startedAt),
    check('checkout_sessions_count_check', sql`${t.count} > 0`),
    check('checkout_sessions_closed_check', sql`(${t.endedAt} is null) = (${t.goneAt} is null)`),
  ],
);

/**
 * The UTC days a closed session was active at the start of (every day after its first): lets a query find the
 * sessions crossing a day boundary without scanning from the beginning of time.
 */
export const checkoutSessionDays = pgTable(
  'checkout_session_days',
  {
    day: timestamptz('day').notNull(),
    sessionId: bigint('session_id', { mode: 'number' })
      .notNull()
      .references(() => checkoutSessions.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ name: 'checkout_session_days_pk', columns: [t.day, t.sessionId] })],
);

/**
 * Daily rollup of closed sessions per UTC day, server, feature, version and user, maintained in the transaction
 * that closes a session. sessions_started: sessions that began that day; sessions_carried: sessions that began
 * earlier and were still open at 00:00 UTC; license_seconds: count x seconds within the day. Read directly when
 * usage is grouped or filtered by user; usage_daily_totals sums it over users for everything else.
 */
export const usageDaily = pgTable(
  'usage_daily',
  {
    day: timestamptz('day').notNull(),
    serverId: text('server_id').notNull(),
    feature: text('feature').notNull(),
    version: text('version').notNull(),
    username: text('username').notNull(),
    sessionsStarted: integer('sessions_started').notNull(),
    sessionsCarried: integer('sessions_carried').notNull(),
    licenseSeconds: doublePrecision('license_seconds').notNull(),
    firstAt: timestamptz('first_at').notNull(),
    lastAt: timestamptz('last_at').notNull(),
  },
  (t) => [primaryKey({ name: 'usage_daily_pk', columns: [t.day, t.serverId, t.feature, t.version, t.username] })],
);

/** Bit strings (bit varying): the users bitmap of usage_daily_totals. */
const varbit = customType<{ data: string; driverData: string }>({ dataType: () => 'bit varying' });

/** Dense ids for user names: their bit in usage_daily_totals.users. */
export const usageUsers = pgTable('usage_users', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  username: text('username').notNull().unique('usage_users_username_unique'),
});

/**
 * usage_daily summed over users, per UTC day, server, feature and version, with the set of users as a bitmap (bit
 * usage_users.id set): distinct users over any set of rows is bit_count(bit_or(users)), so usage grouped by
 * feature and time reads one row per feature and day however many users there were. Recomputed from usage_daily
 * for the keys a poll touched, in the same transaction.
 */
export const usageDailyTotals = pgTable(
  'usage_daily_totals',
  {
    day: timestamptz('day').notNull(),
    serverId: text('server_id').notNull(),
    feature: text('feature').notNull(),
    version: text('version').notNull(),
    sessionsStarted: integer('sessions_started').notNull(),
    sessionsCarried: integer('sessions_carried').notNull(),
    licenseSeconds: doublePrecision('license_seconds').notNull(),
    firstAt: timestamptz('first_at').notNull(),
    lastAt: timestamptz('last_at').notNull(),
    users: varbit('users').notNull(),
  },
  (t) => [primaryKey({ name: 'usage_daily_totals_pk', columns: [t.day, t.serverId, t.feature, t.version] })],
);

/**
 * Samples per server and feature: what the server reported, written when a value changed or every Nth poll. A
 * sample holds until the next one of its series (the latest until the server's last UP poll). All-null values: the
 * feature was no longer reported.
 */
export const usageSamples = pgTable(
  'usage_samples',
  {
    serverId: text('server_id').notNull(),
    feature: text('feature').notNull(),
    at: timestamptz('at').notNull(),
    issued: integer('issued'),
    used: integer('used'),
    reserved: integer('reserved'),
    queued: integer('queued'),
    /** When the next sample of the series was taken (where this one stops holding); null for the latest. */
    nextAt: timestamptz('next_at'),
  },
  (t) => [
    primaryKey({ name: 'usage_samples_pk', columns: [t.serverId, t.feature, t.at] }),
    index('usage_samples_at_idx').on(t.at),
  ],
);

/** The latest sample of each series (for change detection and the still-open last segment). */
export const usageSeries = pgTable(
  'usage_series',
  {
    serverId: text('server_id').notNull(),
    feature: text('feature').notNull(),
    lastAt: timestamptz('last_at').notNull(),
    issued: integer('issued'),
    used: integer('used'),
    reserved: integer('reserved'),
    queued: integer('queued'),
  },
  (t) => [primaryKey({ name: 'usage_series_pk', columns: [t.serverId, t.feature] })],
);

/**
 * Daily rollup of closed sample segments per UTC day, server and feature (maintained when the next sample closes a
 * segment): peak used, integral of used over time, seconds with a known value, highest issued.
 */
export const usageSamplesDaily = pgTable(
  'usage_samples_daily',
  {
    day: timestamptz('day').notNull(),
    serverId: text('server_id').notNull(),
    feature: text('feature').notNull(),
    peakUsed: integer('peak_used'),
    usedSeconds: doublePrecision('used_seconds').notNull(),
    knownSeconds: doublePrecision('known_seconds').notNull(),
    maxIssued: integer('max_issued'),
  },
  (t) => [primaryKey({ name: 'usage_samples_daily_pk', columns: [t.day, t.serverId, t.feature] })],
);

/** Per server: how far history has been written. A poll at or before last_up_at is a replay and is skipped. */
export const pollCursors = pgTable('poll_cursors', {
  serverId: text('server_id').primaryKey(),
  /** UP polls recorded (drives "a sample every Nth poll"). */
  pollSeq: bigint('poll_seq', { mode: 'number' }).notNull().default(0),
  lastPollAt: timestamptz('last_poll_at').notNull(),
  lastUpAt: timestamptz('last_up_at'),
  /** UP, DOWN, UNKNOWN or STALE. */
  lastStatus: text('last_status').notNull(),
});

/** Installation-wide settings and secrets (e.g. the key that hashes hostnames in the deployment report). */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
});

/**
 * Live events published across replicas (PostgreSQL), in order: NOTIFY carries them at once, and a replica whose
 * LISTEN connection was down reads what it missed from here when it reconnects. Kept for a short while only.
 */
export const liveEvents = pgTable(
  'live_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** The publishing replica (its own events are skipped when it catches up). */
    origin: text('origin').notNull(),
    events: jsonb('events').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [index('live_events_created_at_idx').on(t.createdAt)],
);

export type UserRow = typeof users.$inferSelect;
export type AlertRuleRow = typeof alertRules.$inferSelect;
export type AccessTokenRow = typeof accessTokens.$inferSelect;
export type RequestCounterRow = typeof requestCounters.$inferSelect;
export type ReplicaRow = typeof replicas.$inferSelect;
export type CheckoutSessionRow = typeof checkoutSessions.$inferSelect;
export type UsageSampleRow = typeof usageSamples.$inferSelect;
