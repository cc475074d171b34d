import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { PUBLIC_CODES, QueryLimitError } from '../errors';

/** A QueryLimitError behind Apollo's GRAPHQL_VALIDATION_FAILED wrapper (or thrown as is by a plugin). */
function queryLimitOf(error: unknown): QueryLimitError | null {
  if (error instanceof QueryLimitError) return error;
  const inner = error instanceof GraphQLError ? error.originalError : null;
  return inner instanceof QueryLimitError ? inner : null;
}

/** graphql-js's own token cap (Apollo parseOptions.maxTokens), the backstop behind the pre-parse check. */
const PARSER_TOKEN_LIMIT = /^Syntax Error: Document contains more that (\d+) tokens\. Parsing aborted\.$/;

/**
 * graphql-js echoes the offending input in coercion errors ('Variable "$f" got invalid value "x" at "f.a"; ...',
 * 'Expected value of type "T", found "x"; ...', 'String cannot represent a non string value: "x"'). Rewrite them to
 * name the variable, path and rule without the value.
 */
function withoutValues(message: string, error: unknown): string {
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  const reason = (text: string | undefined): string => {
    if (!text) return '';
    const r = text
      .replace(/^((?:String|Int|Float|Boolean|ID|Enum "[^"]*") cannot represent [^:]*?)(?::\s.*)?$/s, '$1.')
      .replace(/^Value .* does not exist in ("[^"]*" enum\.)/s, 'Value does not exist in $1')
      .replace(/^(Expected type "[^"]*"\.)\s+.*$/s, (_m, head: string) => head);
    return `; ${r.replace(/\.\.$/, '.')}`;
  };
  const variable = /^Variable "\$([A-Za-z_][A-Za-z0-9_]*)" got invalid value /.exec(message);
  if (variable) {
    const name = variable[1];
    const at = message.lastIndexOf(` at "${name}`);
    const path = at >= 0 ? /^ at "([^"]*)"/.exec(message.slice(at))?.[1] : undefined;
    return `Variable "$${name}" got an invalid value${path ? ` at "${path}"` : ''}${reason(original?.message)}`;
  }
  const literal = /^Expected value of type ("[^"]*"), found /.exec(message);
  if (literal) return `Expected value of type ${literal[1]}${original?.message ? reason(original.message) : '.'}`;
  return message;
}

function describeValidation(errors: ValidationError[], prefix = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints)
      for (const msg of Object.values(e.constraints)) out.push(`${field}: ${msg.replace(e.property, field)}`);
    if (e.children?.length) out.push(...describeValidation(e.children, field));
  }
  return out;
}

function fieldsOf(errors: ValidationError[], prefix = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) out.push(field);
    if (e.children?.length) out.push(...fieldsOf(e.children, field));
  }
  return out;
}

/**
 * Keeps our codes and messages, explains argument validation (field + rule, never the value), and masks
 * everything unexpected as INTERNAL_SERVER_ERROR with the request id (the caller logs the original).
 */
export function isExpected(error: unknown): boolean {
  if (clientErrorWithoutCode(error)) return true;
  const original = unwrapResolverError(error);
  if (original instanceof ArgumentValidationError) return true;
  const code = (original as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' && PUBLIC_CODES.has(code);
}

/**
 * Apollo rejects some requests before its pipeline assigns a code, answering with HTTP 4xx (a persisted query whose
 * hash does not match its document: "provided sha does not match query"): the client's fault, not ours.
 */
function clientErrorWithoutCode(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.extensions?.code !== undefined) return false;
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (clientErrorWithoutCode(error)) {
    const requestId = formatted.extensions?.requestId;
    return {
      message: formatted.message,
      extensions: { code: 'BAD_REQUEST', ...(typeof requestId === 'string' ? { requestId } : {}) },
    };
  }
  const limit = queryLimitOf(error);
  if (limit) {
    const { http: _h, ...ext } = limit.extensions as Record<string, unknown>;
    return { message: limit.message, locations: formatted.locations, extensions: ext };
  }
  const tokens =
    formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED' ? PARSER_TOKEN_LIMIT.exec(formatted.message) : null;
  if (tokens) {
    const max = Number(tokens[1]);
    return {
      message: `Token limit of ${max} exceeded`,
      extensions: { code: 'QUERY_LIMIT_EXCEEDED', limit: 'maxTokens', max },
    };
  }
  const original = unwrapResolverError(error);
  if (original instanceof ArgumentValidationError) {
    const details = describeValidation(original.extensions.validationErrors as ValidationError[]);
    return {
      message: `Invalid arguments: ${details.join('; ')}`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: {
        code: 'BAD_USER_INPUT',
        fields: fieldsOf(original.extensions.validationErrors as ValidationError[]),
      },
    };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
    const { stacktrace: _s, exception: _e, ...ext } = (formatted.extensions ?? {}) as Record<string, unknown>;
    const message =
      code === 'BAD_USER_INPUT' || code === 'GRAPHQL_VALIDATION_FAILED'
        ? withoutValues(formatted.message, error)
        : formatted.message;
    return { ...formatted, message, extensions: ext };
  }
  // Masked: no message, no stack; the request id (when the error carries one) lets the log entry be found.
  const requestId = formatted.extensions?.requestId;
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...(typeof requestId === 'string' ? { requestId } : {}) },
  };
}
