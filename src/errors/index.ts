/**
 * Errors the API shows to clients. Each carries a stable `extensions.code`; anything else that escapes a
 * resolver is masked as INTERNAL_SERVER_ERROR by formatError (and logged with the request id).
 */
import { GraphQLError } from 'graphql';

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'SOURCE_UNAVAILABLE'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'QUERY_LIMIT_EXCEEDED'
  | 'PAYLOAD_TOO_LARGE';

export const PUBLIC_CODES = new Set<string>([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'SOURCE_UNAVAILABLE',
  'CONFLICT',
  'RATE_LIMITED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'QUERY_LIMIT_EXCEEDED',
  'PAYLOAD_TOO_LARGE',
]);

export class ApiError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

/** Which query limit a QUERY_LIMIT_EXCEEDED error reports (extensions.limit); see src/graphql/limits.ts. */
export type QueryLimit =
  'maxCharacters' | 'maxTokens' | 'maxDepth' | 'maxAliases' | 'maxDirectives' | 'maxCost' | 'maxComplexity';

/**
 * A document over one of the query limits: code QUERY_LIMIT_EXCEEDED, HTTP 400, extensions { limit, max, actual }.
 * Raised inside validation rules, Apollo wraps it as GRAPHQL_VALIDATION_FAILED; formatError restores the code.
 */
export class QueryLimitError extends ApiError {
  constructor(
    readonly limit: QueryLimit,
    message: string,
    max: number,
    actual?: number,
  ) {
    super('QUERY_LIMIT_EXCEEDED', message, {
      limit,
      max,
      ...(actual === undefined ? {} : { actual }),
      http: { status: 400 },
    });
  }
}

export const badInput = (field: string, rule: string) =>
  new ApiError('BAD_USER_INPUT', `Invalid argument ${field}: ${rule}`, { field });
export const notFound = (what: string) => new ApiError('NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'Your role does not allow this operation') => new ApiError('FORBIDDEN', message);
export const unauthenticated = () =>
  new ApiError(
    'UNAUTHENTICATED',
    'Authentication required: send "Authorization: Bearer <token>" with a valid, unexpired access token',
  );

/** The JSON body REST routes answer with on errors. */
export interface RestErrorBody {
  error: { code: string; message: string; requestId?: string };
}

export function restError(code: string, message: string, requestId?: string): RestErrorBody {
  return { error: { code, message, ...(requestId ? { requestId } : {}) } };
}
