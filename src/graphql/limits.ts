/**
 * Query limits: what a GraphQL document may ask for before licensegraph spends anything on it.
 *
 * Every rejection is HTTP 400 with extensions.code QUERY_LIMIT_EXCEEDED and extensions.limit naming the limit
 * (extensions.max is the limit, extensions.actual what the document had, when known):
 *
 *   limit          env variable                     default  checked
 *   maxCharacters  LICENSEGRAPH_MAX_QUERY_CHARS      20000    before parsing (HTTP preValidation hook)
 *   maxTokens      LICENSEGRAPH_MAX_TOKENS           1000     before parsing (same hook; graphql-js parse cap behind it)
 *   maxDepth       LICENSEGRAPH_MAX_DEPTH            6        validation rule (graphql-armor)
 *   maxAliases     LICENSEGRAPH_MAX_ALIASES          15       validation rule (graphql-armor)
 *   maxDirectives  LICENSEGRAPH_MAX_DIRECTIVES       50       validation rule (graphql-armor)
 *   maxCost        LICENSEGRAPH_MAX_COST             5000     validation rule (graphql-armor's structural cost)
 *   maxComplexity  LICENSEGRAPH_MAX_COMPLEXITY       50000    didResolveOperation (graphql-query-complexity, with
 *                                                             the variables): lists cost their expected size
 *
 * Why these numbers: the largest documents the project itself sends (test/operations/report.graphql, all four
 * operations: 230 tokens, depth 4; GraphiQL's introspection query: 184 tokens) pass with room to spare, so
 * graphql-armor's defaults (depth 6, 15 aliases, 50 directives, 1000 tokens, cost 5000) stay. The full live
 * report (every field of every feature and checkout) costs about 14,900 under the list-aware estimate (50
 * features x 20 checkouts expected), the LicenseSummary-shaped REST report about 4,400: 50,000 admits three full reports
 * in one request and refuses fifteen aliased copies.
 *
 * Other errors: introspection off (LICENSEGRAPH_INTROSPECTION=false) gives GRAPHQL_VALIDATION_FAILED for
 * __schema/__type, and "Did you mean ...?" suggestions are removed from every error message; a fragment cycle
 * is GRAPHQL_VALIDATION_FAILED (graphql-js); a batched (array) HTTP request is BAD_REQUEST (Apollo, batching
 * off); a POST without a JSON content type and without an `apollo-require-preflight` or
 * `x-apollo-operation-name` header is BAD_REQUEST (Apollo's CSRF prevention).
 *
 * These limits live in validation rules and Apollo plugins (plus one pre-parse HTTP hook), so they hold whatever
 * executes the operation (graphql-js, graphql-jit through the gateway interface) and whatever caches responses.
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  getVariableValues,
  GraphQLError,
  Lexer,
  Source,
  TokenKind,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import {
  fieldExtensionsEstimator,
  getComplexity,
  simpleEstimator,
  type ComplexityEstimator,
  type ComplexityEstimatorArgs,
} from 'graphql-query-complexity';
import { DEFAULT_GRAPHQL_LIMITS, type GraphQLLimitsConfig } from '../config/types';
import { QueryLimitError, type QueryLimit } from '../errors';

export type { GraphQLLimitsConfig };

export function resolveGraphQLLimits(partial: Partial<GraphQLLimitsConfig> | undefined): GraphQLLimitsConfig {
  return { ...DEFAULT_GRAPHQL_LIMITS, ...(partial ?? {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// List-aware cost (type-graphql `complexity` on list fields)

/**
 * The sizes lists are costed at: what a large site has, not the worst case. A list field costs
 * 1 + size x (the cost of its selection), so nesting multiplies: a checkout field costs 50 x 20 = 1000 per report.
 */
export const EXPECTED_SIZE = {
  /** Report.summaryByFeature: features in a report. */
  features: 50,
  /** Feature.checkouts: checkouts per feature. */
  checkouts: 20,
  /** Report.servers, licenseServers. */
  servers: 5,
  /** Feature.pools, reservations, queued, issues; server hosts; vendor daemons. */
  small: 3,
  /** LicenseServer.warnings (capped at 50 by the view). */
  warnings: 10,
  /** users, accessTokens. */
  accounts: 20,
  /** usage(groupBy) rows. */
  usageRows: 100,
} as const;

/** Largest page size honoured from a `first`/`last`/`limit` argument when estimating. */
const MAX_PAGE_FOR_COST = 100_000;

function pageSize(args: Record<string, unknown> | undefined): number | null {
  if (!args) return null;
  for (const k of ['first', 'last', 'limit', 'top']) {
    const v = args[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.min(v, MAX_PAGE_FOR_COST);
  }
  return null;
}

/**
 * The `complexity` option for a list field: 1 + n x max(1, child cost), where n is the field's `first`, `last`,
 * `limit` or `top` argument when it has one, else the expected size. Use as
 * `@Field(() => [Checkout], { complexity: listCost(EXPECTED_SIZE.checkouts) })`.
 */
export function listCost(expected: number): ComplexityEstimator {
  return ({ childComplexity, args }: ComplexityEstimatorArgs) =>
    1 + (pageSize(args) ?? expected) * Math.max(1, childComplexity);
}

const ESTIMATORS: ComplexityEstimator[] = [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })];

/** The list-aware cost of one operation of a document with its variables. Throws what getComplexity throws. */
export function operationComplexity(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables?: Record<string, unknown>,
  operationName?: string,
): number {
  return getComplexity({ schema, query: document, variables, operationName, estimators: ESTIMATORS });
}

// ---------------------------------------------------------------------------------------------------------------
// Before parsing: characters and tokens

/**
 * Characters, then (only for documents longer than maxTokens characters: a token is at least one character)
 * lexical tokens, the way graphql-armor counts them (comments are not tokens). A lexing error stops the count:
 * the parser reports it properly.
 */
export function checkDocumentSize(
  source: string,
  limits: Pick<GraphQLLimitsConfig, 'maxCharacters' | 'maxTokens'>,
): QueryLimitError | null {
  if (source.length > limits.maxCharacters) {
    return new QueryLimitError(
      'maxCharacters',
      `Document of ${source.length} characters exceeds the limit of ${limits.maxCharacters}`,
      limits.maxCharacters,
      source.length,
    );
  }
  if (source.length <= limits.maxTokens) return null;
  const lexer = new Lexer(new Source(source));
  let n = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++n > limits.maxTokens)
        return new QueryLimitError('maxTokens', `Token limit of ${limits.maxTokens} exceeded`, limits.maxTokens);
    }
  } catch {
    return null;
  }
  return null;
}

/** Nesting of variable values (objects and lists). No input type of this schema comes near it. */
export const MAX_VARIABLE_DEPTH = 32;

/**
 * Variables nested deeper than MAX_VARIABLE_DEPTH: a 400 BAD_USER_INPUT before anything walks them recursively
 * (a 20,000-level array used to overflow the stack in JSON.stringify and answer 500). Iterative, stops early.
 */
export function checkVariablesDepth(variables: unknown, max = MAX_VARIABLE_DEPTH): GraphQLError | null {
  if (variables === null || typeof variables !== 'object') return null;
  const stack: Array<[unknown, number]> = [[variables, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max)
      return new GraphQLError(`Variables are nested deeper than ${max} levels`, {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation rules (graphql-armor) and the Apollo plugins

const ARMOR_MESSAGE = /^(?:Syntax Error: )?(.*?)\s*$/s;
const FOUND = /found (\d+(?:\.\d+)?)/;

function reporter(limit: QueryLimit, max: number) {
  return (ctx: ValidationContext | null, error: GraphQLError) => {
    const message = ARMOR_MESSAGE.exec(error.message)?.[1] ?? error.message;
    const found = FOUND.exec(message);
    const err = new QueryLimitError(limit, message, max, found ? Math.round(Number(found[1])) : undefined);
    if (ctx) ctx.reportError(err);
  };
}

/** graphql-armor's depth, alias, directive and cost rules, each reporting a QueryLimitError (no throw). */
export function armorValidationRules(limits: GraphQLLimitsConfig): ValidationRule[] {
  const common = { propagateOnRejection: false, exposeLimits: true } as const;
  const armor = new ApolloArmor({
    // Tokens are counted before parsing (checkDocumentSize): armor's Apollo token plugin throws out of the
    // request pipeline, which Apollo answers with a 500.
    maxTokens: { enabled: false },
    // Suggestions are removed by suggestionsPlugin (armor's mask leaves a stray "?").
    blockFieldSuggestion: { enabled: false },
    maxDepth: {
      ...common,
      n: limits.maxDepth,
      ignoreIntrospection: true,
      onReject: [reporter('maxDepth', limits.maxDepth)],
    },
    maxAliases: { ...common, n: limits.maxAliases, onReject: [reporter('maxAliases', limits.maxAliases)] },
    maxDirectives: { ...common, n: limits.maxDirectives, onReject: [reporter('maxDirectives', limits.maxDirectives)] },
    costLimit: {
      ...common,
      maxCost: limits.maxCost,
      ignoreIntrospection: true,
      onReject: [reporter('maxCost', limits.maxCost)],
    },
  });
  return armor.protect().validationRules;
}

const NODES_LIMIT = /maximum allowed number of nodes/;

/**
 * Per request, in didResolveOperation (after validation, before anything executes or a response cache answers):
 *  - the variables are coerced with graphql-js, so invalid ones are BAD_USER_INPUT (HTTP 400) with graphql-js's
 *    messages whatever the executor (graphql-jit reports them without a code);
 *  - the list-aware cost, which depends on the variables. Costs of operations without variables are remembered
 *    per parsed document (Apollo hands back the same DocumentNode for a document it has seen).
 */
export function complexityPlugin<T extends object>(
  limits: GraphQLLimitsConfig,
  opts: { hideSuggestions?: boolean } = {},
): ApolloServerPlugin<T> {
  const remembered = new WeakMap<DocumentNode, Map<string, number>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          if (!operation) return;
          const cacheable = !operation.variableDefinitions?.length;
          if (!cacheable) {
            const coerced = getVariableValues(schema, operation.variableDefinitions!, request.variables ?? {}, {
              maxErrors: 1,
              hideSuggestions: opts.hideSuggestions,
            });
            if (coerced.errors?.length) {
              const e = coerced.errors[0];
              throw new GraphQLError(e.message, {
                nodes: e.nodes,
                originalError: e.originalError,
                extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
              });
            }
          }
          const name = request.operationName ?? '';
          let cost = cacheable ? remembered.get(document)?.get(name) : undefined;
          if (cost === undefined) {
            try {
              cost = operationComplexity(
                schema,
                document,
                request.variables ?? undefined,
                request.operationName ?? undefined,
              );
            } catch (e) {
              if (e instanceof Error && NODES_LIMIT.test(e.message)) {
                throw new QueryLimitError(
                  'maxComplexity',
                  'The document has too many fields to estimate its cost',
                  limits.maxComplexity,
                );
              }
              // nothing else is expected once the variables coerced; execution reports whatever it is
              return;
            }
            if (cacheable) {
              let m = remembered.get(document);
              if (!m) remembered.set(document, (m = new Map()));
              m.set(name, cost);
            }
          }
          if (cost > limits.maxComplexity) {
            throw new QueryLimitError(
              'maxComplexity',
              `Query cost ${cost} exceeds the limit of ${limits.maxComplexity} (lists are costed at their expected size, e.g. ${EXPECTED_SIZE.features} features x ${EXPECTED_SIZE.checkouts} checkouts)`,
              limits.maxComplexity,
              cost,
            );
          }
        },
      };
    },
  };
}

const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/** A message without its "Did you mean ...?" suggestions (introspection off). */
export function withoutSuggestions(message: string): string {
  return message.includes('Did you mean') ? message.replace(SUGGESTION, '') : message;
}

/** Removes "Did you mean ...?" from every error (validation, variable coercion, execution): for introspection off. */
export function suggestionsPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          for (const e of errors) {
            if (e.message.includes('Did you mean'))
              (e as { message: string }).message = e.message.replace(SUGGESTION, '');
          }
        },
      };
    },
  };
}

/**
 * Everything Apollo needs for the limits: spread into the ApolloServer config.
 * `parseOptions.maxTokens` is graphql-js's own cap, for documents that reach Apollo without the HTTP pre-parse
 * check (executeOperation); formatError reports it as QUERY_LIMIT_EXCEEDED / maxTokens.
 */
export function apolloLimits<T extends object>(
  limits: GraphQLLimitsConfig,
  opts: { introspection: boolean },
): {
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin<T>[];
  parseOptions: { maxTokens: number };
  validationOptions?: { hideSuggestions: boolean };
} {
  return {
    validationRules: armorValidationRules(limits),
    plugins: [
      complexityPlugin<T>(limits, { hideSuggestions: !opts.introspection }),
      ...(opts.introspection ? [] : [suggestionsPlugin<T>()]),
    ],
    parseOptions: { maxTokens: limits.maxTokens },
    ...(opts.introspection ? {} : { validationOptions: { hideSuggestions: true } }),
  };
}
