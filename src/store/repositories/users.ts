import { asc, count, eq } from 'drizzle-orm';
import { ROLES, type Role, type User } from '../../domain/auth';
import { isUuid, type Database } from '../db';
import { ConflictError, ValidationError } from '../errors';
import { users, type UserRow } from '../schema';

/** 1-64 characters from [A-Za-z0-9._@-]. Case-sensitive ("Alice" and "alice" are two users). */
export const USERNAME_RE = /^[A-Za-z0-9._@-]{1,64}$/;

export function validateUsername(username: string): void {
  if (typeof username !== 'string' || !USERNAME_RE.test(username)) {
    throw new ValidationError('username must be 1-64 characters of letters, digits, ".", "_", "@" or "-"', 'username');
  }
}

export function validateRole(role: string): asserts role is Role {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new ValidationError(`role must be one of ${ROLES.join(', ')}`, 'role');
  }
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    createdAt: row.createdAt,
    disabled: row.disabled,
  };
}

export class UserRepository {
  constructor(private readonly db: Database) {}

  /** @throws ValidationError ('username' | 'role'), ConflictError ('username') when the name is taken. */
  async create(input: { username: string; role: Role }): Promise<User> {
    validateUsername(input.username);
    validateRole(input.role);
    const rows = await this.db
      .insert(users)
      .values({ username: input.username, role: input.role })
      .onConflictDoNothing({ target: users.username })
      .returning();
    const row = rows[0];
    if (!row) throw new ConflictError(`username "${input.username}" is already taken`, 'username');
    return toUser(row);
  }

  async findByUsername(username: string): Promise<User | null> {
    const rows = await this.db.select().from(users).where(eq(users.username, username)).limit(1);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async findById(id: string): Promise<User | null> {
    if (!isUuid(id)) return null;
    const rows = await this.db.select().from(users).where(eq(users.id, id)).limit(1);
    return rows[0] ? toUser(rows[0]) : null;
  }

  /** All users, oldest first. */
  async list(): Promise<User[]> {
    const rows = await this.db.select().from(users).orderBy(asc(users.createdAt), asc(users.username));
    return rows.map(toUser);
  }

  async count(): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(users);
    return Number(row?.n ?? 0);
  }

  /** Returns the updated user, or null when there is no such user. */
  async setDisabled(id: string, disabled: boolean): Promise<User | null> {
    if (!isUuid(id)) return null;
    const rows = await this.db.update(users).set({ disabled }).where(eq(users.id, id)).returning();
    return rows[0] ? toUser(rows[0]) : null;
  }
}
