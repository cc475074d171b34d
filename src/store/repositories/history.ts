/**
 * Usage history, the write side: one transaction per poll (sessions opened, extended and closed, samples, the daily
 * rollups and the poll cursor move together or not at all), so a process killed in the middle of a poll leaves
 * either the whole poll or nothing. Replaying a poll is harmless: a poll at or before the server's last recorded UP
 * poll is skipped, and a checkout's identity is a unique index (re-inserting it is an ON CONFLICT update).
 *
 * Concurrent writers for one server (two replicas ingesting, a poll racing an ingest) are serialised by a
 * transaction-level advisory lock on the server id.
 *
 * Raw SQL (drizzle `sql`) because the statements use data-modifying CTEs, generate_series and ON CONFLICT updates
 * with expressions. Lists are passed as JSON (drizzle expands JS arrays into parameter lists) and every value read
 * back is cast to a type both drivers return alike (timestamps as epoch milliseconds).
 */
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PoolClient } from 'pg';
import type { Database } from '../db';
import type { StoreDriver } from '../db';

/** pg_advisory_xact_lock(class, key) class for "writing history of server X" ('lghx'). */
export const HISTORY_XACT_LOCK_CLASS = 0x6c676878;
/** pg_try_advisory_lock(class, key) class for "polling server X" ('lgpl'), held by the poller's own connection. */
export const POLL_LOCK_CLASS = 0x6c67706c;

/** 32-bit FNV-1a of a server id as a signed int4: the second key of the advisory locks. */
export function serverLockKey(serverId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < serverId.length; i++) {
    h ^= serverId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** One checkout as a poll saw it. */
export interface SessionObservation {
  feature: string;
  version: string;
  username: string;
  hostname: string;
  display: string;
  handle: string;
  /** Identity part: the reported start instant (ISO) or, when it could not be read, 'raw:' + the printed text. */
  startKey: string;
  /** The reported start (ISO) or null when unknown (then the first poll that saw it). */
  startedAt: string | null;
  /** False when the start was flagged (START_IMPLAUSIBLE, START_AFTER_CAPTURE): counted from the first sighting. */
  trustedStart?: boolean;
  count: number;
}

export interface SampleObservation {
  feature: string;
  issued: number | null;
  used: number | null;
  reserved: number | null;
  queued: number | null;
}

export type PollStatus = 'UP' | 'DOWN' | 'UNKNOWN' | 'STALE';

export interface PollRecord {
  serverId: string;
  /** The poll instant. */
  at: Date;
  /**
   * UP: the server answered; its checkouts are the truth for the features it reported. Anything else (DOWN,
   * UNKNOWN, STALE: a failed fetch serving the last good snapshot) only moves the cursor: sessions stay open,
   * because not knowing is not the same as "checked in".
   */
  status: PollStatus;
  sessions: SessionObservation[];
  /** Features whose absent checkouts are closed by this poll (reported without errors or doubtful lines). */
  closableFeatures: string[];
  /** Every feature name the snapshot listed. */
  presentFeatures: string[];
  /** Close the sessions of features the snapshot did not list at all (it was complete: every daemon UP). */
  closeAbsent: boolean;
  /** Samples of the features reported without error. */
  samples: SampleObservation[];
  /** Write a sample every Nth UP poll even when nothing changed (N >= 1). */
  sampleEvery: number;
  /**
   * How far before the previous UP poll (or, at the first, before this poll) a new session's reported start may lie
   * and still count from it: one poll interval (default 0). Anything earlier counts from that poll, so one poll adds
   * at most (at - previous UP poll + allowance) x licenses held.
   */
  allowanceMs?: number;
  /** Count license-hours from the reported start however early it is (server setting countReportedStart). */
  countReportedStart?: boolean;
}

/**
 * Where a new session's license-hours are counted from (epoch ms): see PollRecord.allowanceMs. `prevUpMs` is the
 * server's previous UP poll, null at its first observation. Pure.
 */
export function countedStartMs(
  o: SessionObservation,
  atMs: number,
  prevUpMs: number | null,
  allowanceMs: number,
  countReported: boolean,
): number {
  const reported = o.startedAt ? Date.parse(o.startedAt) : NaN;
  if (!Number.isFinite(reported) || o.trustedStart === false) return atMs;
  const start = Math.min(reported, atMs);
  if (countReported) return start;
  const floor = prevUpMs ?? atMs;
  return start >= floor - allowanceMs ? start : Math.min(floor, atMs);
}

export interface PollResult {
  /** True when nothing was written because this poll (or a later one) was already recorded. */
  skipped: boolean;
  opened: number;
  closed: number;
  reopened: number;
  samples: number;
  pollSeq: number;
}

type Row = Record<string, unknown>;

export async function rowsOf<T = Row>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

const iso = (d: Date) => d.toISOString();
const json = (v: unknown) => sql`${JSON.stringify(v)}::jsonb`;
/** A text[] from a JS array (passed as one JSON parameter). */
export const textArray = (values: readonly string[]) =>
  sql`ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;
/** A timestamptz as epoch milliseconds (float8): read back the same on PGlite and node-postgres. */
export const epochMs = (expr: SQL) => sql`(extract(epoch from ${expr}) * 1000)::float8`;

const DAY = sql.raw(`interval '24 hours'`);
const TICK = sql.raw(`interval '1 microsecond'`);

/**
 * Adds (sign 1) or removes (sign -1) the contribution of closed sessions to usage_daily. `source` is a relation with
 * id, server_id, feature, version, username, started_at, ended_at, count.
 */
function rollupSessions(source: SQL, sign: 1 | -1): SQL {
  const s = sql.raw(String(sign));
  return sql`
    INSERT INTO usage_daily AS u (day, server_id, feature, version, username, sessions_started, sessions_carried, license_seconds, first_at, last_at)
    SELECT d.day, c.server_id, c.feature, c.version, c.username,
           ${s} * (count(*) FILTER (WHERE c.started_at >= d.day))::int,
           ${s} * (count(*) FILTER (WHERE c.started_at < d.day))::int,
           ${s} * sum(c.count * extract(epoch FROM least(c.ended_at, d.day + ${DAY}) - greatest(c.started_at, d.day)))::float8,
           min(greatest(c.started_at, d.day)),
           max(least(c.ended_at, d.day + ${DAY}))
    FROM ${source} c
    CROSS JOIN LATERAL generate_series(date_trunc('day', c.started_at, 'UTC'), c.ended_at - ${TICK}, ${DAY}) AS d(day)
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (day, server_id, feature, version, username) DO UPDATE SET
      sessions_started = u.sessions_started + excluded.sessions_started,
      sessions_carried = u.sessions_carried + excluded.sessions_carried,
      license_seconds = u.license_seconds + excluded.license_seconds,
      first_at = least(u.first_at, excluded.first_at),
      last_at = greatest(u.last_at, excluded.last_at)`;
}

/** The days after its first a closed session was open at 00:00 UTC. */
function sessionDays(source: SQL): SQL {
  return sql`
    INSERT INTO checkout_session_days (day, session_id)
    SELECT d.day, c.id FROM ${source} c
    CROSS JOIN LATERAL generate_series(date_trunc('day', c.started_at, 'UTC') + ${DAY}, c.ended_at - ${TICK}, ${DAY}) AS d(day)
    ON CONFLICT DO NOTHING`;
}

/**
 * Adds closed sample segments to usage_samples_daily. `source` has server_id, feature, seg_start, seg_end, used,
 * issued (segments whose used is null are unknown time and are left out).
 */
function rollupSegments(source: SQL): SQL {
  return sql`
    INSERT INTO usage_samples_daily AS u (day, server_id, feature, peak_used, used_seconds, known_seconds, max_issued)
    SELECT d.day, g.server_id, g.feature, max(g.used),
           sum(g.used * extract(epoch FROM least(g.seg_end, d.day + ${DAY}) - greatest(g.seg_start, d.day)))::float8,
           sum(extract(epoch FROM least(g.seg_end, d.day + ${DAY}) - greatest(g.seg_start, d.day)))::float8,
           max(g.issued)
    FROM ${source} g
    CROSS JOIN LATERAL generate_series(date_trunc('day', g.seg_start, 'UTC'), g.seg_end - ${TICK}, ${DAY}) AS d(day)
    WHERE g.used IS NOT NULL AND g.seg_end > g.seg_start
    GROUP BY 1, 2, 3
    ON CONFLICT (day, server_id, feature) DO UPDATE SET
      peak_used = greatest(u.peak_used, excluded.peak_used),
      used_seconds = u.used_seconds + excluded.used_seconds,
      known_seconds = u.known_seconds + excluded.known_seconds,
      max_issued = greatest(u.max_issued, excluded.max_issued)`;
}

/** The usage_daily keys (UTC day, server, feature, version) a set of sessions spans; `source` as for rollupSessions. */
function dayKeys(source: SQL): SQL {
  return sql`
    SELECT DISTINCT d.day, c.server_id, c.feature, c.version FROM ${source} c
    CROSS JOIN LATERAL generate_series(date_trunc('day', c.started_at, 'UTC'), c.ended_at - ${TICK}, ${DAY}) AS d(day)`;
}

/** Keys read back (day as epoch ms) as a relation for refreshTotals. */
function keysRelation(keys: Array<{ day: number; server_id: string; feature: string; version: string }>): SQL {
  const list = keys.map((k) => ({
    day: new Date(Number(k.day)).toISOString(),
    server_id: k.server_id,
    feature: k.feature,
    version: k.version,
  }));
  return sql`(SELECT * FROM jsonb_to_recordset(${JSON.stringify(list)}::jsonb) AS x(day timestamptz, server_id text, feature text, version text))`;
}

/** Dense ids for the user names of usage_daily rows that have none yet (their bit in the totals' bitmaps). */
function ensureUserIds(where: SQL): SQL {
  return sql`
    INSERT INTO usage_users (username)
    SELECT DISTINCT u.username FROM usage_daily u
    WHERE ${where} AND NOT EXISTS (SELECT 1 FROM usage_users uu WHERE uu.username = u.username)
    ORDER BY 1
    ON CONFLICT (username) DO NOTHING`;
}

/**
 * usage_daily_totals recomputed from usage_daily for the keys in `keys` (a relation of day, server_id, feature,
 * version; all keys when null): sums, and the users bitmap. Keys left without rows are deleted.
 */
function refreshTotals(keys: SQL | null): SQL {
  const match = (a: string, b: string) =>
    sql.raw(
      `${a}.day = ${b}.day AND ${a}.server_id = ${b}.server_id AND ${a}.feature = ${b}.feature AND ${a}.version = ${b}.version`,
    );
  return sql`
    WITH ${
      keys
        ? sql`k AS (SELECT DISTINCT day, server_id, feature, version FROM ${keys} kk),
    gone AS (
      DELETE FROM usage_daily_totals t USING k
      WHERE ${match('t', 'k')} AND NOT EXISTS (SELECT 1 FROM usage_daily u WHERE ${match('u', 'k')})
    ),`
        : sql``
    }
    nb AS (SELECT coalesce(max(id), 0) + 1 AS n FROM usage_users)
    INSERT INTO usage_daily_totals AS t (day, server_id, feature, version, sessions_started, sessions_carried, license_seconds, first_at, last_at, users)
    SELECT u.day, u.server_id, u.feature, u.version, sum(u.sessions_started)::int, sum(u.sessions_carried)::int, sum(u.license_seconds)::float8,
           min(u.first_at), max(u.last_at), bit_or(set_bit(repeat('0', nb.n)::varbit, uu.id, 1))
    FROM ${keys ? sql`k JOIN usage_daily u ON ${match('u', 'k')}` : sql`usage_daily u`}
    JOIN usage_users uu ON uu.username = u.username
    CROSS JOIN nb
    GROUP BY u.day, u.server_id, u.feature, u.version
    ON CONFLICT (day, server_id, feature, version) DO UPDATE SET
      sessions_started = excluded.sessions_started, sessions_carried = excluded.sessions_carried,
      license_seconds = excluded.license_seconds, first_at = excluded.first_at, last_at = excluded.last_at, users = excluded.users`;
}

interface SeriesRow {
  feature: string;
  last_at: number;
  issued: number | null;
  used: number | null;
  reserved: number | null;
  queued: number | null;
}

function sameSample(a: SampleObservation, b: SeriesRow): boolean {
  return a.issued === b.issued && a.used === b.used && a.reserved === b.reserved && a.queued === b.queued;
}

export class HistoryRepository {
  constructor(private readonly db: Database) {}

  /**
   * Records one poll in one transaction. `db` is where to run it (default: the store's pool); the poller passes the
   * connection that holds its advisory lock, so a replica that lost its connection (and with it the lock) cannot
   * write.
   */
  async recordPoll(rec: PollRecord, db: Database = this.db): Promise<PollResult> {
    const at = iso(rec.at);
    const S = rec.serverId;
    return db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${HISTORY_XACT_LOCK_CLASS}::int, ${serverLockKey(S)}::int)`);
      const [cursor] = await rowsOf<{ poll_seq: number; last_up_at: number | null; last_poll_at: number }>(
        tx,
        sql`SELECT poll_seq::float8 AS poll_seq, ${epochMs(sql`last_up_at`)} AS last_up_at, ${epochMs(sql`last_poll_at`)} AS last_poll_at
            FROM poll_cursors WHERE server_id = ${S} FOR UPDATE`,
      );
      const result: PollResult = {
        skipped: false,
        opened: 0,
        closed: 0,
        reopened: 0,
        samples: 0,
        pollSeq: cursor?.poll_seq ?? 0,
      };
      const atMs = rec.at.getTime();

      if (rec.status !== 'UP') {
        // Not knowing is not "checked in": only the cursor moves; every open session stays open.
        if (cursor && atMs <= cursor.last_poll_at) return { ...result, skipped: true };
        await tx.execute(sql`
          INSERT INTO poll_cursors (server_id, poll_seq, last_poll_at, last_up_at, last_status)
          VALUES (${S}, 0, ${at}::timestamptz, NULL, ${rec.status})
          ON CONFLICT (server_id) DO UPDATE SET last_poll_at = excluded.last_poll_at, last_status = excluded.last_status`);
        return result;
      }
      // A replay (after a crash or a retry) or an older snapshot arriving late: already recorded, or superseded.
      if (cursor && cursor.last_up_at !== null && atMs <= cursor.last_up_at) return { ...result, skipped: true };
      const pollSeq = (cursor?.poll_seq ?? 0) + 1;
      result.pollSeq = pollSeq;

      // De-duplicate identical checkouts within the snapshot (summing their counts).
      const seen = new Map<string, SessionObservation>();
      for (const o of rec.sessions) {
        const k = [o.feature, o.username, o.hostname, o.display, o.handle, o.startKey].join('\u0000');
        const prev = seen.get(k);
        if (prev) prev.count += o.count;
        else seen.set(k, { ...o });
      }
      const prevUpMs = cursor?.last_up_at ?? null;
      const allowance = Math.max(0, rec.allowanceMs ?? 0);
      const obs = [...seen.values()].map((o) => ({
        feature: o.feature,
        version: o.version,
        username: o.username,
        hostname: o.hostname,
        display: o.display,
        handle: o.handle,
        start_key: o.startKey,
        started_at: new Date(
          countedStartMs(
            o,
            atMs,
            prevUpMs === null ? null : Number(prevUpMs),
            allowance,
            rec.countReportedStart === true,
          ),
        ).toISOString(),
        reported_start: o.startedAt,
        count: Math.max(1, Math.floor(o.count)),
      }));
      const obsRel = sql`jsonb_to_recordset(${json(obs)}) AS x(feature text, version text, username text, hostname text, display text, handle text, start_key text, started_at timestamptz, reported_start timestamptz, count int)`;

      if (obs.length > 0) {
        // A checkout seen again after its session was closed (a poll that missed it): the same checkout, so reopen
        // the session and take back what closing it added to the rollup.
        const reopened = await rowsOf<{ id: number }>(
          tx,
          sql`SELECT s.id::float8 AS id FROM checkout_sessions s JOIN ${obsRel}
              ON s.server_id = ${S} AND s.feature = x.feature AND s.username = x.username AND s.hostname = x.hostname
                 AND s.display = x.display AND s.handle = x.handle AND s.start_key = x.start_key
              WHERE s.ended_at IS NOT NULL`,
        );
        if (reopened.length > 0) {
          const ids = json(reopened.map((r) => r.id));
          const source = sql`(SELECT id, server_id, feature, version, username, started_at, ended_at, count FROM checkout_sessions
                              WHERE id IN (SELECT (jsonb_array_elements_text(${ids}))::bigint))`;
          const keys = await rowsOf<{ day: number; server_id: string; feature: string; version: string }>(
            tx,
            sql`SELECT ${epochMs(sql`day`)} AS day, server_id, feature, version FROM (${dayKeys(source)}) x`,
          );
          await tx.execute(rollupSessions(source, -1));
          await tx.execute(sql`DELETE FROM usage_daily WHERE server_id = ${S} AND sessions_started = 0 AND sessions_carried = 0
                               AND day >= (SELECT date_trunc('day', min(started_at), 'UTC') FROM checkout_sessions WHERE id IN (SELECT (jsonb_array_elements_text(${ids}))::bigint))`);
          await tx.execute(
            sql`DELETE FROM checkout_session_days WHERE session_id IN (SELECT (jsonb_array_elements_text(${ids}))::bigint)`,
          );
          await tx.execute(
            sql`UPDATE checkout_sessions SET ended_at = NULL, gone_at = NULL WHERE id IN (SELECT (jsonb_array_elements_text(${ids}))::bigint)`,
          );
          await tx.execute(refreshTotals(keysRelation(keys)));
          result.reopened = reopened.length;
        }
        const upserted = await rowsOf<{ inserted: boolean }>(
          tx,
          sql`INSERT INTO checkout_sessions AS s (server_id, feature, version, username, hostname, display, handle, start_key, started_at, reported_start, count, first_seen, last_seen)
              SELECT ${S}, x.feature, x.version, x.username, x.hostname, x.display, x.handle, x.start_key,
                     least(coalesce(x.started_at, ${at}::timestamptz), ${at}::timestamptz), x.reported_start, x.count, ${at}::timestamptz, ${at}::timestamptz
              FROM ${obsRel}
              ON CONFLICT (server_id, feature, username, hostname, display, handle, start_key) DO UPDATE
                SET last_seen = greatest(s.last_seen, excluded.last_seen), count = greatest(s.count, excluded.count)
              RETURNING (xmax = 0) AS inserted`,
        );
        result.opened = upserted.filter((r) => r.inserted === true || (r.inserted as unknown) === 't').length;
      }

      // Close what an UP poll no longer lists, for the features it reported reliably. end = midpoint of the last
      // poll that saw it and this one; both bounds are kept (last_seen, gone_at).
      if (rec.closableFeatures.length > 0 || rec.closeAbsent) {
        const closed = await rowsOf<{ n: number; keys: unknown }>(
          tx,
          sql`WITH closed AS (
                UPDATE checkout_sessions SET gone_at = ${at}::timestamptz, ended_at = last_seen + (${at}::timestamptz - last_seen) / 2
                WHERE server_id = ${S} AND ended_at IS NULL AND last_seen < ${at}::timestamptz
                  AND (feature = ANY(${textArray(rec.closableFeatures)})
                       OR (${rec.closeAbsent}::boolean AND NOT (feature = ANY(${textArray(rec.presentFeatures)}))))
                RETURNING id, server_id, feature, version, username, started_at, ended_at, count
              ), days AS (${sessionDays(sql`closed`)}),
              roll AS (${rollupSessions(sql`closed`, 1)}),
              keys AS (${dayKeys(sql`closed`)})
              SELECT (SELECT count(*) FROM closed)::int AS n,
                     (SELECT coalesce(jsonb_agg(jsonb_build_object('day', ${epochMs(sql`day`)}, 'server_id', server_id, 'feature', feature, 'version', version)), '[]'::jsonb) FROM keys) AS keys`,
        );
        result.closed = closed[0]?.n ?? 0;
        if (result.closed > 0) {
          // The totals are recomputed from usage_daily, which the statement above changed: a statement of their own.
          const keys = (typeof closed[0].keys === 'string' ? JSON.parse(closed[0].keys) : closed[0].keys) as Array<{
            day: number;
            server_id: string;
            feature: string;
            version: string;
          }>;
          const rel = keysRelation(keys);
          await tx.execute(
            ensureUserIds(
              sql`(u.day, u.server_id, u.feature, u.version) IN (SELECT day, server_id, feature, version FROM ${rel} kk)`,
            ),
          );
          await tx.execute(refreshTotals(rel));
        }
      }

      // Samples: on change, every Nth poll, and an all-null sample when a feature is no longer listed.
      const series = await rowsOf<SeriesRow>(
        tx,
        sql`SELECT feature, ${epochMs(sql`last_at`)} AS last_at, issued, used, reserved, queued FROM usage_series WHERE server_id = ${S}`,
      );
      const bySeries = new Map(series.map((r) => [r.feature, r]));
      const heartbeat = pollSeq % Math.max(1, Math.floor(rec.sampleEvery)) === 0;
      const writes: Array<
        SampleObservation & { prev_at: string | null; p_used: number | null; p_issued: number | null }
      > = [];
      const sampled = new Set<string>();
      for (const s of rec.samples) {
        if (sampled.has(s.feature)) continue; // a feature listed twice: its first block wins
        sampled.add(s.feature);
        const prev = bySeries.get(s.feature);
        if (prev && prev.last_at >= atMs) continue;
        if (!prev || heartbeat || !sameSample(s, prev)) {
          writes.push({
            ...s,
            prev_at: prev ? new Date(prev.last_at).toISOString() : null,
            p_used: prev?.used ?? null,
            p_issued: prev?.issued ?? null,
          });
        }
      }
      if (rec.closeAbsent) {
        const present = new Set(rec.presentFeatures);
        for (const prev of series) {
          if (present.has(prev.feature) || prev.last_at >= atMs) continue;
          if (prev.issued === null && prev.used === null && prev.reserved === null && prev.queued === null) continue;
          writes.push({
            feature: prev.feature,
            issued: null,
            used: null,
            reserved: null,
            queued: null,
            prev_at: new Date(prev.last_at).toISOString(),
            p_used: prev.used,
            p_issued: prev.issued,
          });
        }
      }
      if (writes.length > 0) {
        const w = sql`jsonb_to_recordset(${json(writes)}) AS w(feature text, issued int, used int, reserved int, queued int, prev_at timestamptz, p_used int, p_issued int)`;
        await tx.execute(sql`
          WITH w AS (SELECT * FROM ${w}),
          ins AS (
            INSERT INTO usage_samples (server_id, feature, at, issued, used, reserved, queued)
            SELECT ${S}, feature, ${at}::timestamptz, issued, used, reserved, queued FROM w
            ON CONFLICT (server_id, feature, at) DO NOTHING
          ), prev AS (
            UPDATE usage_samples p SET next_at = ${at}::timestamptz
            FROM w WHERE p.server_id = ${S} AND p.feature = w.feature AND p.at = w.prev_at
          ), ser AS (
            INSERT INTO usage_series AS s (server_id, feature, last_at, issued, used, reserved, queued)
            SELECT ${S}, feature, ${at}::timestamptz, issued, used, reserved, queued FROM w
            ON CONFLICT (server_id, feature) DO UPDATE SET last_at = excluded.last_at, issued = excluded.issued,
              used = excluded.used, reserved = excluded.reserved, queued = excluded.queued
          ), seg AS (
            SELECT ${S}::text AS server_id, feature, prev_at AS seg_start, ${at}::timestamptz AS seg_end, p_used AS used, p_issued AS issued
            FROM w WHERE prev_at IS NOT NULL
          )
          ${rollupSegments(sql`seg`)}`);
        result.samples = writes.length;
      }

      await tx.execute(sql`
        INSERT INTO poll_cursors (server_id, poll_seq, last_poll_at, last_up_at, last_status)
        VALUES (${S}, ${pollSeq}, ${at}::timestamptz, ${at}::timestamptz, 'UP')
        ON CONFLICT (server_id) DO UPDATE SET poll_seq = excluded.poll_seq,
          last_poll_at = greatest(poll_cursors.last_poll_at, excluded.last_poll_at),
          last_up_at = excluded.last_up_at, last_status = excluded.last_status`);
      return result;
    });
  }

  /**
   * Recomputes the rollups (usage_daily, checkout_session_days, usage_samples_daily) from the sessions and samples:
   * after a bulk load (the benchmark) or to repair. One transaction.
   */
  async rebuildRollups(db: Database = this.db): Promise<void> {
    await db.transaction(async (tx) => {
      await tx.execute(sql`TRUNCATE usage_daily, usage_daily_totals, checkout_session_days, usage_samples_daily`);
      // usage_samples.next_at is derived too (each sample holds until the next of its series).
      await tx.execute(sql`
        UPDATE usage_samples s SET next_at = x.next_at
        FROM (SELECT server_id, feature, at, lead(at) OVER (PARTITION BY server_id, feature ORDER BY at) AS next_at FROM usage_samples) x
        WHERE s.server_id = x.server_id AND s.feature = x.feature AND s.at = x.at AND s.next_at IS DISTINCT FROM x.next_at`);
      const closed = sql`(SELECT id, server_id, feature, version, username, started_at, ended_at, count FROM checkout_sessions WHERE ended_at IS NOT NULL)`;
      await tx.execute(sessionDays(closed));
      await tx.execute(rollupSessions(closed, 1));
      await tx.execute(ensureUserIds(sql`TRUE`));
      await tx.execute(refreshTotals(null));
      await tx.execute(sql`
        WITH seg AS (
          SELECT server_id, feature, at AS seg_start, next_at AS seg_end, used, issued FROM usage_samples WHERE next_at IS NOT NULL
        )
        ${rollupSegments(sql`seg`)}`);
    });
  }

  /** Where history stands per server (for tests, readiness and metrics). */
  async cursors(
    db: Database = this.db,
  ): Promise<
    Array<{ serverId: string; pollSeq: number; lastPollAt: Date; lastUpAt: Date | null; lastStatus: string }>
  > {
    const rows = await rowsOf<{
      server_id: string;
      poll_seq: number;
      last_poll_at: number;
      last_up_at: number | null;
      last_status: string;
    }>(
      db,
      sql`SELECT server_id, poll_seq::float8 AS poll_seq, ${epochMs(sql`last_poll_at`)} AS last_poll_at, ${epochMs(sql`last_up_at`)} AS last_up_at, last_status
          FROM poll_cursors ORDER BY server_id`,
    );
    return rows.map((r) => ({
      serverId: r.server_id,
      pollSeq: Number(r.poll_seq),
      lastPollAt: new Date(Number(r.last_poll_at)),
      lastUpAt: r.last_up_at === null ? null : new Date(Number(r.last_up_at)),
      lastStatus: r.last_status,
    }));
  }
}

/**
 * Who polls which server. PostgreSQL: a session-level advisory lock per server (pg_try_advisory_lock(POLL_LOCK_CLASS,
 * key)), held on one dedicated connection taken from the pool. The lock lives as long as that connection: when the
 * holder process dies (or its connection does), PostgreSQL releases it and another replica's next attempt takes it.
 * History is written on the same connection, so a replica whose connection (and lock) is gone cannot write either.
 * Everything on the connection is serialised (one transaction at a time). PGlite: one process owns the data
 * directory, so it polls everything.
 */
export class PollLeases {
  private client: PoolClient | null = null;
  private clientDb: Database | null = null;
  private connecting: Promise<PoolClient> | null = null;
  private readonly held = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly driver: StoreDriver,
    private readonly db: Database,
    private readonly logger?: { warn(obj: object, msg?: string): void },
  ) {}

  /** Servers this process holds the polling lock of. */
  heldServers(): string[] {
    return [...this.held];
  }

  holds(serverId: string): boolean {
    return this.driver.kind === 'pglite' || this.held.has(serverId);
  }

  /** True when this process may poll the server now: it holds the lock, or just took it. Never throws. */
  async acquire(serverId: string): Promise<boolean> {
    if (this.driver.kind === 'pglite') return !this.closed;
    if (this.closed) return false;
    if (this.held.has(serverId) && this.client) return true;
    try {
      return await this.serial(async () => {
        const client = await this.connect();
        const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS ok', [
          POLL_LOCK_CLASS,
          serverLockKey(serverId),
        ]);
        const ok = r.rows[0]?.ok === true;
        if (ok) this.held.add(serverId);
        return ok;
      });
    } catch (err) {
      this.drop(err as Error);
      return false;
    }
  }

  /** Runs fn with the database to write this server's history with (the lock's own connection on PostgreSQL). */
  async withDb<T>(serverId: string, fn: (db: Database) => Promise<T>): Promise<T> {
    if (this.driver.kind === 'pglite') return fn(this.db);
    return this.serial(async () => {
      if (!this.client || !this.clientDb || !this.held.has(serverId))
        throw new Error(`polling lock for ${serverId} is not held`);
      try {
        return await fn(this.clientDb);
      } catch (err) {
        // A broken connection has lost its locks with it: start over. (A failed statement on a healthy connection
        // was rolled back by the transaction; the connection and the locks are fine.)
        if (isConnectionError(err)) this.drop(err as Error);
        throw err;
      }
    });
  }

  /** Gives up every lock: the connection is closed, which releases them. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain.catch(() => undefined);
    this.drop(null);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async connect(): Promise<PoolClient> {
    if (this.client) return this.client;
    if (this.driver.kind !== 'postgres') throw new Error('no pool');
    const pool = this.driver.pool;
    this.connecting ??= (async () => {
      const client = await pool.connect();
      client.on('error', (err: Error) => this.drop(err, client));
      client.on('end', () => this.drop(new Error('connection ended'), client));
      this.client = client;
      this.clientDb = drizzleNodePg({ client }) as unknown as Database;
      return client;
    })().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private drop(err: Error | null, which?: PoolClient): void {
    const client = this.client;
    if (!client || (which && which !== client)) return;
    if (err && this.held.size > 0)
      this.logger?.warn({ err: err.message, servers: [...this.held] }, 'poller lost its lock connection; retrying');
    this.client = null;
    this.clientDb = null;
    this.held.clear();
    try {
      client.release(true); // destroy: closing the session releases its advisory locks
    } catch {
      /* already released */
    }
  }
}

function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && /^(08|57P)/.test(e.code)) return true;
  return /Connection terminated|connection (?:is )?closed|Client was closed|not queryable|ECONNRESET|EPIPE/i.test(
    e.message ?? '',
  );
}
