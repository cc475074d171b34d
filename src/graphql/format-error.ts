import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { PUBLIC_CODES } from '../errors';

function describeValidation(errors: ValidationError[], prefix = ''): string[] {
  const out: string[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) for (const msg of Object.values(e.constraints)) out.push(`${field}: ${msg.replace(e.property, field)}`);
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
  const original = unwrapResolverError(error);
  if (original instanceof ArgumentValidationError) return true;
  const code = (original as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === 'string' && PUBLIC_CODES.has(code);
}

export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof ArgumentValidationError) {
    const details = describeValidation(original.extensions.validationErrors as ValidationError[]);
    return {
      message: `Invalid arguments: ${details.join('; ')}`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'BAD_USER_INPUT', fields: fieldsOf(original.extensions.validationErrors as ValidationError[]) },
    };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
    const { stacktrace: _s, exception: _e, ...ext } = (formatted.extensions ?? {}) as Record<string, unknown>;
    return { ...formatted, extensions: ext };
  }
  return {
    message: 'Internal server error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}
