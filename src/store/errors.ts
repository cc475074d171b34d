/**
 * Typed errors raised by the store and the services built on it. They carry no transport concerns:
 * the GraphQL layer (and the CLI, and REST) map them to their own error shapes.
 */

/** Base class, so callers can tell "our" expected failures from bugs with one instanceof. */
export abstract class StoreError extends Error {
  abstract readonly code: 'CONFLICT' | 'NOT_FOUND' | 'VALIDATION';
  constructor(
    message: string,
    /** The input field the error is about (e.g. 'username', 'userId', 'expiresInDays'). */
    readonly field: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A unique value is already taken (e.g. field 'username'). */
export class ConflictError extends StoreError {
  readonly code = 'CONFLICT' as const;
}

/** The thing referenced by `field` does not exist (or the caller may not see it). */
export class NotFoundError extends StoreError {
  readonly code = 'NOT_FOUND' as const;
}

/** An input value breaks a rule (e.g. username characters, role name, expiry range). */
export class ValidationError extends StoreError {
  readonly code = 'VALIDATION' as const;
}
