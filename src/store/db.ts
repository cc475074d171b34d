import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';
import * as schema from './schema';

export { schema };

/**
 * The Drizzle database as the repositories see it: the query builder shared by the PGlite and the
 * node-postgres drivers. Use the query builder only (select/insert/update/delete); the raw result
 * shapes of `execute()` differ between the drivers.
 */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The connection underneath a Store: embedded PGlite or a node-postgres pool. */
export type StoreDriver = { kind: 'pglite'; client: PGlite } | { kind: 'postgres'; pool: Pool };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids come from clients; a malformed uuid would make PostgreSQL raise 22P02, so treat it as "no such row". */
export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}
