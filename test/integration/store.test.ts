/**
 * The store on both drivers: one suite body, run on PGlite always and on PostgreSQL when
 * TEST_DATABASE_URL is set. Plus the data-directory lock (driver-independent).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import type { Principal } from '../../src/domain/auth';
import { AuthService } from '../../src/services/auth.service';
import {
  acquireDataDirLock,
  bucketOf,
  ConflictError,
  DataDirLockedError,
  hashToken,
  LOCK_FILE_NAME,
  NotFoundError,
  openStore,
  ValidationError,
  type Store,
} from '../../src/store';
import { accessTokens, users } from '../../src/store/schema';
import { ManualClock, until } from '../helpers/clock';
import {
  createTestDatabase,
  createTestStore,
  queryRows,
  storeDrivers,
  truncateAll,
  type TestStore,
} from '../helpers/store';

const TOKEN_FORMAT = /^lg_[A-Za-z0-9_-]{43}$/;
const UUID_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MIGRATION_COUNT = (
  JSON.parse(fs.readFileSync(path.join(__dirname, '../../src/store/migrations/meta/_journal.json'), 'utf8')) as {
    entries: unknown[];
  }
).entries.length;

async function expectError(p: Promise<unknown>, type: new (...args: never[]) => Error, field: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  expect(err).toMatchObject({ field });
}

async function migrationRows(store: Store): Promise<number> {
  const [row] = await queryRows<{ n: number }>(store, sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
  return Number(row?.n);
}

describe.each(storeDrivers())('store on %s', (driver) => {
  let t: TestStore;
  let store: Store;

  beforeAll(async () => {
    t = await createTestStore(driver);
    store = t.store;
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  describe('connection', () => {
    it('reports its kind, version and health, with the migrations applied', async () => {
      expect(store.kind).toBe(driver);
      const version = await store.dbVersion();
      if (driver === 'pglite') expect(version).toMatch(/^PGlite \d+\.\d+\.\d+ \(PostgreSQL \d+\.\d+\)$/);
      else expect(version).toMatch(/^PostgreSQL \d+\.\d+$/);
      expect(await store.ping()).toBe(true);
      expect(await migrationRows(store)).toBe(MIGRATION_COUNT);
    });
  });

  describe('users', () => {
    it('creates, finds, lists and counts users', async () => {
      const before = await store.users.count();
      const alice = await store.users.create({ username: 'alice', role: 'ADMIN' });
      expect(alice).toEqual({
        id: expect.stringMatching(UUID_FORMAT),
        username: 'alice',
        role: 'ADMIN',
        createdAt: expect.any(Date),
        disabled: false,
      });
      expect(Math.abs(alice.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
      const bob = await store.users.create({ username: 'bob.smith@example-1_x', role: 'VIEWER' });

      expect(await store.users.findByUsername('alice')).toEqual(alice);
      expect(await store.users.findById(bob.id)).toEqual(bob);
      expect(await store.users.findByUsername('nobody')).toBeNull();
      expect(await store.users.findById('00000000-0000-4000-8000-000000000000')).toBeNull();
      expect(await store.users.findById('not-a-uuid')).toBeNull();
      expect(await store.users.count()).toBe(before + 2);
      const names = (await store.users.list()).map((u) => u.username);
      expect(names).toEqual(expect.arrayContaining(['alice', 'bob.smith@example-1_x']));
      expect(names.indexOf('alice')).toBeLessThan(names.indexOf('bob.smith@example-1_x'));
    });

    it('rejects a duplicate username with a ConflictError naming the field', async () => {
      await store.users.create({ username: 'dup', role: 'VIEWER' });
      const err = await store.users.create({ username: 'dup', role: 'ADMIN' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect(err).toMatchObject({ field: 'username', code: 'CONFLICT' });
      expect((await store.users.findByUsername('dup'))?.role).toBe('VIEWER');
    });

    it.each(['', 'a'.repeat(65), 'has space', 'ümlaut', 'semi;colon', 'slash/name', 'tab\tname'])(
      'rejects the invalid username %j',
      async (username) => {
        const err = await store.users.create({ username, role: 'VIEWER' }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ValidationError);
        expect(err).toMatchObject({ field: 'username' });
        expect(await store.users.findByUsername(username)).toBeNull();
      },
    );

    it('accepts a 64-character username and rejects an unknown role (in code and in the database)', async () => {
      const long = 'x'.repeat(64);
      expect((await store.users.create({ username: long, role: 'UPLOADER' })).username).toBe(long);
      const err = await store.users.create({ username: 'rooty', role: 'ROOT' as never }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err).toMatchObject({ field: 'role' });
      await expect(store.db.insert(users).values({ username: 'rooty2', role: 'ROOT' as never })).rejects.toThrow();
    });

    it('disables and re-enables a user', async () => {
      const u = await store.users.create({ username: 'carol', role: 'VIEWER' });
      expect((await store.users.setDisabled(u.id, true))?.disabled).toBe(true);
      expect((await store.users.findById(u.id))?.disabled).toBe(true);
      expect((await store.users.setDisabled(u.id, false))?.disabled).toBe(false);
      expect(await store.users.setDisabled('00000000-0000-4000-8000-000000000000', true)).toBeNull();
    });
  });

  describe('tokens', () => {
    let owner: { id: string; username: string };
    let other: { id: string; username: string };

    beforeAll(async () => {
      owner = await store.users.create({ username: 'tok-owner', role: 'VIEWER' });
      other = await store.users.create({ username: 'tok-other', role: 'VIEWER' });
    });

    it('issues a 256-bit token shown once, storing only its SHA-256', async () => {
      const { token, info } = await store.tokens.issue({ userId: owner.id, name: 'laptop' });
      expect(token).toMatch(TOKEN_FORMAT);
      expect(Buffer.from(token.slice(3), 'base64url')).toHaveLength(32);
      expect(info).toEqual({
        id: expect.stringMatching(UUID_FORMAT),
        userId: owner.id,
        username: 'tok-owner',
        name: 'laptop',
        prefix: token.slice(0, 11),
        createdAt: expect.any(Date),
        expiresAt: null,
        revokedAt: null,
        lastUsedAt: null,
        servers: null,
      });

      // Every column of every row: neither the token nor its secret part is anywhere.
      const secret = token.slice(3);
      const rows = await queryRows(store, sql`SELECT * FROM access_tokens`);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        for (const value of Object.values(row)) {
          const text = value instanceof Date ? value.toISOString() : String(value);
          expect(text).not.toContain(token);
          expect(text).not.toContain(secret);
        }
      }
      const [mine] = await queryRows<{ token_hash: string; prefix: string }>(
        store,
        sql`SELECT token_hash, prefix FROM access_tokens WHERE id = ${info.id}`,
      );
      expect(mine?.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
      expect(mine?.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(mine?.prefix).toBe(token.slice(0, 11));
    });

    it('finds an active token by hash, with its principal', async () => {
      const { token, info } = await store.tokens.issue({ userId: owner.id });
      const found = await store.tokens.findActiveByHash(hashToken(token));
      expect(found?.principal).toEqual({ userId: owner.id, username: 'tok-owner', role: 'VIEWER', tokenId: info.id });
      expect(found?.info).toEqual(info);
      expect(await store.tokens.findActiveByHash(hashToken(token + 'x'))).toBeNull();
    });

    it('does not resolve expired tokens', async () => {
      const { token, info } = await store.tokens.issue({ userId: owner.id, expiresInDays: 1 });
      const hash = hashToken(token);
      expect(info.expiresAt!.getTime() - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
      expect(await store.tokens.findActiveByHash(hash)).not.toBeNull();
      expect(await store.tokens.findActiveByHash(hash, new Date(Date.now() + 2 * 86_400_000))).toBeNull();
      await store.db
        .update(accessTokens)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(eq(accessTokens.id, info.id));
      expect(await store.tokens.findActiveByHash(hash)).toBeNull();
    });

    it('does not resolve revoked tokens, and only the owner (or an unrestricted caller) revokes', async () => {
      const { token, info } = await store.tokens.issue({ userId: owner.id });
      const hash = hashToken(token);
      expect(await store.tokens.revoke(info.id, { byUserId: other.id })).toBeNull();
      expect(await store.tokens.findActiveByHash(hash)).not.toBeNull();

      const revoked = await store.tokens.revoke(info.id, { byUserId: owner.id });
      expect(revoked).toMatchObject({ id: info.id, username: 'tok-owner', revokedAt: expect.any(Date) });
      expect(await store.tokens.findActiveByHash(hash)).toBeNull();
      // Idempotent: the first revocation time stays.
      const again = await store.tokens.revoke(info.id);
      expect(again?.revokedAt?.getTime()).toBe(revoked?.revokedAt?.getTime());

      expect(await store.tokens.revoke('00000000-0000-4000-8000-000000000000')).toBeNull();
      expect(await store.tokens.revoke('nope')).toBeNull();
    });

    it('does not resolve tokens of a disabled user', async () => {
      const u = await store.users.create({ username: 'tok-disabled', role: 'ADMIN' });
      const { token } = await store.tokens.issue({ userId: u.id });
      const hash = hashToken(token);
      await store.users.setDisabled(u.id, true);
      expect(await store.tokens.findActiveByHash(hash)).toBeNull();
      await store.users.setDisabled(u.id, false);
      expect((await store.tokens.findActiveByHash(hash))?.principal.role).toBe('ADMIN');
    });

    it('validates issue input', async () => {
      await expectError(
        store.tokens.issue({ userId: '00000000-0000-4000-8000-000000000000' }),
        NotFoundError,
        'userId',
      );
      await expectError(store.tokens.issue({ userId: 'garbage' }), NotFoundError, 'userId');
      for (const expiresInDays of [0, -1, Number.NaN, 100_000]) {
        await expectError(store.tokens.issue({ userId: owner.id, expiresInDays }), ValidationError, 'expiresInDays');
      }
      await expectError(store.tokens.issue({ userId: owner.id, name: 'n'.repeat(101) }), ValidationError, 'name');
    });

    it('lists tokens, all or one user’s, newest first', async () => {
      const a = await store.tokens.issue({ userId: other.id, name: 'first' });
      const b = await store.tokens.issue({ userId: other.id, name: 'second' });
      const mine = await store.tokens.list({ userId: other.id });
      expect(mine.map((i) => i.id)).toEqual([b.info.id, a.info.id]);
      expect(mine.every((i) => i.username === 'tok-other')).toBe(true);
      const all = await store.tokens.list();
      expect(all.map((i) => i.id)).toEqual(expect.arrayContaining([a.info.id, b.info.id]));
      expect(all.some((i) => i.userId === owner.id)).toBe(true);
      expect(await store.tokens.list({ userId: 'garbage' })).toEqual([]);
    });

    it('touches last-used times in one batch, never backwards', async () => {
      const a = await store.tokens.issue({ userId: owner.id });
      const b = await store.tokens.issue({ userId: other.id });
      const c = await store.tokens.issue({ userId: other.id });
      const at = new Date('2030-01-02T03:04:05.000Z');
      expect(await store.tokens.touchLastUsed([a.info.id, b.info.id, a.info.id, 'not-a-uuid'], at)).toBe(2);
      expect((await store.tokens.findById(a.info.id))?.lastUsedAt?.toISOString()).toBe(at.toISOString());
      expect((await store.tokens.findById(b.info.id))?.lastUsedAt?.toISOString()).toBe(at.toISOString());
      expect((await store.tokens.findById(c.info.id))?.lastUsedAt).toBeNull();
      expect(await store.tokens.touchLastUsed([a.info.id], new Date('2029-01-01T00:00:00Z'))).toBe(0);
      expect((await store.tokens.findById(a.info.id))?.lastUsedAt?.toISOString()).toBe(at.toISOString());
      expect(await store.tokens.touchLastUsed([], at)).toBe(0);
    });

    it('deletes a user’s tokens with the user (ON DELETE CASCADE)', async () => {
      const u = await store.users.create({ username: 'tok-cascade', role: 'VIEWER' });
      const { info } = await store.tokens.issue({ userId: u.id });
      await store.db.delete(users).where(eq(users.id, u.id));
      expect(await store.tokens.findById(info.id)).toBeNull();
    });
  });

  describe('counters', () => {
    it('upserts per bucket and instance and sums buckets across instances', async () => {
      await store.counters.add('2024-01', 'replica-a', 5);
      await store.counters.add('2024-01', 'replica-a', 3);
      await store.counters.add('2024-01', 'replica-b', 2);
      await store.counters.add('2024-02', 'replica-b', 7);
      await store.counters.add('2023-12', 'replica-a', 1);
      await store.counters.add('2023-12', 'replica-a', 0);

      expect(await store.counters.listBuckets()).toEqual([
        { bucket: '2023-12', requestCount: 1, instances: 1 },
        { bucket: '2024-01', requestCount: 10, instances: 2 },
        { bucket: '2024-02', requestCount: 7, instances: 1 },
      ]);
      expect(await store.counters.listBuckets({ from: '2024-01' })).toEqual([
        { bucket: '2024-01', requestCount: 10, instances: 2 },
        { bucket: '2024-02', requestCount: 7, instances: 1 },
      ]);
      expect(await store.counters.listBuckets({ from: '2024-01', to: '2024-01' })).toEqual([
        { bucket: '2024-01', requestCount: 10, instances: 2 },
      ]);
      expect(await store.counters.listBuckets({ to: '2023-11' })).toEqual([]);
      const rows = await queryRows(
        store,
        sql`SELECT * FROM request_counters WHERE bucket = '2024-01' ORDER BY instance_id`,
      );
      expect(rows.map((r) => [r.instance_id, Number(r.request_count)])).toEqual([
        ['replica-a', 8],
        ['replica-b', 2],
      ]);
    });

    it('adds concurrently without losing increments', async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.counters.add('2025-06', `r${i % 2}`, 1)));
      expect(await store.counters.listBuckets({ from: '2025-06', to: '2025-06' })).toEqual([
        { bucket: '2025-06', requestCount: 20, instances: 2 },
      ]);
    });

    it('rejects malformed buckets and non-integer deltas', async () => {
      await expect(store.counters.add('2024-13', 'a', 1)).rejects.toBeInstanceOf(ValidationError);
      await expect(store.counters.add('2024-1', 'a', 1)).rejects.toBeInstanceOf(ValidationError);
      await expect(store.counters.add('2024-01', 'a', 1.5)).rejects.toMatchObject({ field: 'delta' });
      await expect(store.counters.listBuckets({ from: 'yesterday' })).rejects.toMatchObject({ field: 'from' });
      expect(bucketOf(new Date('2024-03-31T23:59:59Z'))).toBe('2024-03');
    });
  });

  describe('replicas', () => {
    it('records heartbeats and counts recently seen replicas', async () => {
      const now = Date.now();
      await store.replicas.heartbeat('inst-1', 'hash-1', new Date(now - 10 * 60_000));
      await store.replicas.heartbeat('inst-2', 'hash-2', new Date(now));
      expect(await store.replicas.countSeenSince(new Date(now - 60_000))).toBe(1);
      expect(await store.replicas.countSeenSince(new Date(now - 3600_000))).toBe(2);
      await store.replicas.heartbeat('inst-1', 'hash-1b', new Date(now));
      expect(await store.replicas.countSeenSince(new Date(now - 60_000))).toBe(2);
      const [row] = await queryRows<{ hostname_hash: string; started_at: Date; last_seen_at: Date }>(
        store,
        sql`SELECT hostname_hash, started_at, last_seen_at FROM replicas WHERE instance_id = 'inst-1'`,
      );
      expect(row?.hostname_hash).toBe('hash-1b');
      expect(new Date(row!.started_at).getTime()).toBe(now - 10 * 60_000);
      expect(new Date(row!.last_seen_at).getTime()).toBe(now);
    });
  });

  describe('AuthService', () => {
    let admin: Principal;
    let adminToken: string;

    beforeAll(async () => {
      await truncateAll(store);
    });

    it('bootstraps the admin once, on an empty users table', async () => {
      const auth = new AuthService(store);
      const boot = await auth.bootstrapAdmin();
      expect(boot?.token).toMatch(TOKEN_FORMAT);
      expect(boot?.user).toMatchObject({ username: 'admin', role: 'ADMIN' });
      expect(await auth.bootstrapAdmin()).toBeNull();
      expect(await store.users.count()).toBe(1);
      adminToken = boot!.token;
      const p = await auth.authenticate(`Bearer ${adminToken}`);
      expect(p).toEqual({ userId: boot!.user.id, username: 'admin', role: 'ADMIN', tokenId: boot!.info.id });
      admin = p!;
      await auth.close();
    });

    it('accepts only "Bearer <well-formed token>", without a DB hit for malformed input', async () => {
      const auth = new AuthService(store);
      const spy = jest.spyOn(store.tokens, 'findActiveByHash');
      try {
        for (const header of [
          undefined,
          '',
          'Basic x',
          'Basic ' + Buffer.from('admin:pw').toString('base64'),
          'Bearer',
          'Bearer ',
          'Bearer garbage',
          `Bearer ${adminToken}x`,
          `Bearer ${adminToken.slice(0, -1)}`,
          `Token ${adminToken}`,
          `Bearer${adminToken}`,
          `Bearer ${adminToken} extra`,
          adminToken,
        ]) {
          expect(await auth.authenticate(header)).toBeNull();
        }
        expect(spy).not.toHaveBeenCalled();

        expect(await auth.authenticate(`Bearer lg_${'A'.repeat(43)}`)).toBeNull();
        expect(spy).toHaveBeenCalledTimes(1);

        for (const header of [`Bearer ${adminToken}`, `bearer   ${adminToken}`, `BEARER ${adminToken}`]) {
          expect(await auth.authenticate(header)).toEqual(admin);
        }
      } finally {
        spy.mockRestore();
        await auth.close();
      }
    });

    it('caches look-ups and shares concurrent ones', async () => {
      const auth = new AuthService(store);
      const spy = jest.spyOn(store.tokens, 'findActiveByHash');
      try {
        const results = await Promise.all(Array.from({ length: 5 }, () => auth.authenticate(`Bearer ${adminToken}`)));
        expect(results.every((p) => p?.userId === admin.userId)).toBe(true);
        expect(await auth.authenticate(`Bearer ${adminToken}`)).toEqual(admin);
        expect(spy).toHaveBeenCalledTimes(1);
      } finally {
        spy.mockRestore();
        await auth.close();
      }
    });

    it('rejects an expired token even while it is cached, and one expired in the database', async () => {
      let clock = Date.now();
      const auth = new AuthService(store, { cacheTtlMs: 30 * 86_400_000, now: () => clock });
      try {
        const { token, info } = await auth.issueToken({ userId: admin.userId, expiresInDays: 1 });
        expect((await auth.authenticate(`Bearer ${token}`))?.tokenId).toBe(info.id);
        clock += 2 * 86_400_000;
        expect(await auth.authenticate(`Bearer ${token}`)).toBeNull();

        const past = await auth.issueToken({ userId: admin.userId });
        await store.db
          .update(accessTokens)
          .set({ expiresAt: new Date(Date.now() - 1000) })
          .where(eq(accessTokens.id, past.info.id));
        expect(await auth.authenticate(`Bearer ${past.token}`)).toBeNull();
      } finally {
        await auth.close();
      }
    });

    it('invalidates its cache at once on revocation through the service; elsewhere within the TTL', async () => {
      let clock = Date.now();
      const auth = new AuthService(store, { cacheTtlMs: 5000, now: () => clock });
      try {
        const viewer = await auth.createUser({ username: 'viewer1', role: 'VIEWER' });
        const t1 = await auth.issueToken({ userId: viewer.id, name: 'one' });
        const header = `Bearer ${t1.token}`;
        const viewerPrincipal = await auth.authenticate(header);
        expect(viewerPrincipal).toMatchObject({ username: 'viewer1', role: 'VIEWER', tokenId: t1.info.id });

        // Another viewer may not revoke it (and cannot tell it exists).
        const viewer2 = await auth.createUser({ username: 'viewer2', role: 'VIEWER' });
        const t2 = await auth.issueToken({ userId: viewer2.id });
        const viewer2Principal = (await auth.authenticate(`Bearer ${t2.token}`))!;
        expect(await auth.revokeToken(t1.info.id, viewer2Principal)).toBeNull();
        expect(await auth.authenticate(header)).not.toBeNull();

        // The owner revokes: rejected immediately although cached.
        expect((await auth.revokeToken(t1.info.id, viewerPrincipal!))?.revokedAt).toEqual(expect.any(Date));
        expect(await auth.authenticate(header)).toBeNull();

        // An admin may revoke anyone's token.
        expect(await auth.revokeToken(t2.info.id, admin)).not.toBeNull();
        expect(await auth.authenticate(`Bearer ${t2.token}`)).toBeNull();

        // Revoked behind the service's back (another replica): honoured once the TTL has passed.
        const t3 = await auth.issueToken({ userId: viewer.id });
        expect(await auth.authenticate(`Bearer ${t3.token}`)).not.toBeNull();
        await store.tokens.revoke(t3.info.id);
        expect(await auth.authenticate(`Bearer ${t3.token}`)).not.toBeNull();
        clock += 5001;
        expect(await auth.authenticate(`Bearer ${t3.token}`)).toBeNull();

        // Disabling a user through the service drops their cached tokens too.
        const t4 = await auth.issueToken({ userId: viewer.id });
        expect(await auth.authenticate(`Bearer ${t4.token}`)).not.toBeNull();
        await auth.setUserDisabled(viewer.id, true);
        expect(await auth.authenticate(`Bearer ${t4.token}`)).toBeNull();
      } finally {
        await auth.close();
      }
    });

    it('lists tokens by role and users for everyone', async () => {
      const auth = new AuthService(store);
      try {
        const u = await auth.createUser({ username: 'lister', role: 'UPLOADER' });
        const { token } = await auth.issueToken({ userId: u.id, name: 'agent' });
        const p = (await auth.authenticate(`Bearer ${token}`))!;
        const own = await auth.listTokens(p);
        expect(own.map((i) => i.name)).toEqual(['agent']);
        const all = await auth.listTokens(admin);
        expect(all.length).toBeGreaterThan(own.length);
        expect(new Set(all.map((i) => i.username))).toEqual(new Set(['admin', 'viewer1', 'viewer2', 'lister']));
        expect((await auth.listUsers()).map((x) => x.username)).toEqual(['admin', 'viewer1', 'viewer2', 'lister']);
        await expect(auth.createUser({ username: 'lister', role: 'VIEWER' })).rejects.toBeInstanceOf(ConflictError);
      } finally {
        await auth.close();
      }
    });

    it('records last-used times in memory and writes them in one batch (on the timer and on close)', async () => {
      const u = await store.users.create({ username: 'busy', role: 'VIEWER' });
      const a = await store.tokens.issue({ userId: u.id });
      const b = await store.tokens.issue({ userId: u.id });
      const touch = jest.spyOn(store.tokens, 'touchLastUsed');
      try {
        const lazy = new AuthService(store, { lastUsedFlushMs: 60_000 });
        for (let i = 0; i < 3; i++) {
          await lazy.authenticate(`Bearer ${a.token}`);
          await lazy.authenticate(`Bearer ${b.token}`);
        }
        expect(touch).not.toHaveBeenCalled();
        expect((await store.tokens.findById(a.info.id))?.lastUsedAt).toBeNull();
        await lazy.close();
        expect(touch).toHaveBeenCalledTimes(1);
        expect([...touch.mock.calls[0]![0]].sort()).toEqual([a.info.id, b.info.id].sort());
        const lastA = (await store.tokens.findById(a.info.id))?.lastUsedAt;
        expect(Math.abs(lastA!.getTime() - Date.now())).toBeLessThan(60_000);
        expect((await store.tokens.findById(b.info.id))?.lastUsedAt).toEqual(lastA);

        touch.mockClear();
        // the flush timer on a clock the test moves: both uses fall in one 50 ms window however slow this is
        const clock = new ManualClock();
        const eager = new AuthService(store, { lastUsedFlushMs: 50, timers: clock });
        const c = await store.tokens.issue({ userId: u.id });
        await eager.authenticate(`Bearer ${c.token}`);
        await eager.authenticate(`Bearer ${c.token}`);
        expect(clock.nextIn()).toBe(50);
        expect(touch).not.toHaveBeenCalled();
        clock.advance(50);
        await until(
          async () => (await store.tokens.findById(c.info.id))?.lastUsedAt != null,
          () => 'last_used_at not written',
        );
        expect(touch).toHaveBeenCalledTimes(1);
        expect((await store.tokens.findById(c.info.id))?.lastUsedAt).toEqual(expect.any(Date));
        await eager.close();
        expect(touch).toHaveBeenCalledTimes(1); // nothing left to write
      } finally {
        touch.mockRestore();
      }
    });
  });

  describe('migrations', () => {
    it('are idempotent: re-opening the same database applies nothing and keeps the data', async () => {
      if (driver === 'postgres') {
        await store.users.create({ username: 'survivor', role: 'VIEWER' });
        const again = await t.reopen();
        expect(await migrationRows(again)).toBe(MIGRATION_COUNT);
        expect((await again.users.findByUsername('survivor'))?.role).toBe('VIEWER');
        await again.close();
        return;
      }
      // PGlite: a real data directory, opened, closed and opened again; and the lock in between.
      const p = await createTestStore('pglite', { persistent: true });
      try {
        const dir = p.dataDir!;
        await p.store.users.create({ username: 'survivor', role: 'VIEWER' });
        expect(fs.existsSync(path.join(dir, LOCK_FILE_NAME))).toBe(true);
        const blocked = await openStore({ dataDir: dir, purpose: 'cli' }).catch((e: unknown) => e);
        expect(blocked).toBeInstanceOf(DataDirLockedError);
        expect((blocked as Error).message).toContain(
          `the server (pid ${process.pid}) holds ${dir}; stop it or run the command against the running server with --url/--token, or use DATABASE_URL`,
        );
        await p.store.close();
        expect(fs.existsSync(path.join(dir, LOCK_FILE_NAME))).toBe(false);
        expect(await p.store.ping()).toBe(false);

        const again = await p.reopen({ purpose: 'cli' });
        expect(await migrationRows(again)).toBe(MIGRATION_COUNT);
        expect((await again.users.findByUsername('survivor'))?.role).toBe('VIEWER');
        await again.close();
        expect(fs.existsSync(path.join(dir, LOCK_FILE_NAME))).toBe(false);
      } finally {
        await p.cleanup();
      }
    });

    if (driver === 'postgres') {
      it('are applied once when several replicas open a fresh database together', async () => {
        const fresh = await createTestDatabase();
        const stores: Store[] = [];
        try {
          const opened = await Promise.allSettled(
            [1, 2, 3].map(() => openStore({ databaseUrl: fresh.databaseUrl, poolMax: 2 })),
          );
          for (const r of opened) if (r.status === 'fulfilled') stores.push(r.value);
          expect(opened.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
          expect(await migrationRows(stores[0]!)).toBe(MIGRATION_COUNT);
          await stores[0]!.users.create({ username: 'x', role: 'ADMIN' });
          expect(await stores[2]!.users.count()).toBe(1);
        } finally {
          await Promise.all(stores.map((s) => s.close()));
          await fresh.drop();
        }
      });
    }
  });
});

describe('data-directory lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-lock-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const lockFile = () => path.join(dir, LOCK_FILE_NAME);
  const writeLock = (pid: number, purpose: 'server' | 'cli') =>
    fs.writeFileSync(lockFile(), JSON.stringify({ pid, purpose, startedAt: new Date().toISOString() }));

  it('writes pid, purpose and start time, and removes the file on release', () => {
    const lock = acquireDataDirLock(dir, 'server');
    const content = JSON.parse(fs.readFileSync(lockFile(), 'utf8'));
    expect(content).toMatchObject({ pid: process.pid, purpose: 'server', startedAt: expect.any(String) });
    expect(Number.isNaN(Date.parse(content.startedAt))).toBe(false);
    lock.release();
    expect(fs.existsSync(lockFile())).toBe(false);
    lock.release(); // idempotent
    acquireDataDirLock(dir, 'cli').release(); // free again
  });

  it('refuses a second holder while the first lives, saying what to do', () => {
    const lock = acquireDataDirLock(dir, 'server');
    try {
      let err: unknown;
      try {
        acquireDataDirLock(dir, 'cli');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataDirLockedError);
      expect((err as Error).message).toContain(
        `the server (pid ${process.pid}) holds ${dir}; stop it or run the command against the running server with --url/--token, or use DATABASE_URL`,
      );
      expect(() => acquireDataDirLock(dir, 'server')).toThrow(/its own LICENSEGRAPH_DATA_DIR/);
    } finally {
      lock.release();
    }
  });

  it('refuses a lock held by another live process', () => {
    writeLock(process.ppid, 'server');
    expect(() => acquireDataDirLock(dir, 'cli')).toThrow(
      `the server (pid ${process.ppid}) holds ${dir}; stop it or run the command against the running server with --url/--token, or use DATABASE_URL`,
    );
    writeLock(process.ppid, 'cli');
    expect(() => acquireDataDirLock(dir, 'server')).toThrow(
      new RegExp(`licensegraph command \\(pid ${process.ppid}\\) holds`),
    );
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid).toBe(process.ppid); // untouched
  });

  it('takes over a stale lock (dead pid) and an unreadable old one', () => {
    const dead = 999_999;
    expect(() => process.kill(dead, 0)).toThrow();
    writeLock(dead, 'server');
    const lock = acquireDataDirLock(dir, 'cli');
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, purpose: 'cli' });
    lock.release();

    fs.writeFileSync(lockFile(), 'garbage');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockFile(), old, old);
    const lock2 = acquireDataDirLock(dir, 'server');
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
    lock2.release();
    expect(fs.readdirSync(dir)).toEqual([]); // no stray files left behind
  });

  it('release() leaves alone a lock file that is no longer its own', () => {
    const lock = acquireDataDirLock(dir, 'server');
    writeLock(process.ppid, 'server'); // someone replaced it (e.g. after deleting ours by hand)
    lock.release();
    expect(fs.existsSync(lockFile())).toBe(true);
  });
});
