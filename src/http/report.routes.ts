/**
 * REST compatibility: GET /api/licenses/report returns the Foretify Manager LicenseSummary JSON exactly. It runs a GraphQL
 * document in-process (same resolvers, same checks), so the two faces cannot drift.
 */
import type { ApolloServer } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import type { Context } from '../graphql/context';
import { restError } from '../errors';

export const LICENSE_SUMMARY_DOCUMENT = /* GraphQL */ `
  query LicenseSummary($filter: ReportFilter) {
    licenseReport(filter: $filter) {
      summaryByFeature {
        info {
          name
          issued
          used
          free
        }
        checkouts {
          username
          hostname
          startTime
          serverInfo
        }
        valid
      }
      valid
    }
  }
`;

function list(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const arr = Array.isArray(v) ? v : [v];
  const out = arr
    .flatMap((x) => String(x).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  return out.length ? out : undefined;
}

export function httpStatusFor(code: string | undefined): number {
  switch (code) {
    case 'BAD_USER_INPUT':
    case 'GRAPHQL_VALIDATION_FAILED':
    case 'GRAPHQL_PARSE_FAILED':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'RATE_LIMITED':
      return 429;
    case 'SOURCE_UNAVAILABLE':
      return 503;
    default:
      return 500;
  }
}

/** Run a document in-process and answer with data[field] or the first error as a REST error. */
export async function executeForRest(
  apollo: ApolloServer<Context>,
  contextValue: Context,
  query: string,
  variables: Record<string, unknown>,
  field: string,
): Promise<{ status: number; body: unknown }> {
  const res = await apollo.executeOperation({ query, variables }, { contextValue });
  if (res.body.kind !== 'single')
    return {
      status: 500,
      body: restError('INTERNAL_SERVER_ERROR', 'Unexpected incremental response', contextValue.requestId),
    };
  const { data, errors } = res.body.singleResult;
  if (errors?.length) {
    const code = String(errors[0].extensions?.code ?? 'INTERNAL_SERVER_ERROR');
    return { status: httpStatusFor(code), body: restError(code, errors[0].message, contextValue.requestId) };
  }
  return { status: 200, body: (data as Record<string, unknown>)[field] };
}

export function registerReportRoutes(app: FastifyInstance, apollo: ApolloServer<Context>): void {
  app.get<{ Querystring: Record<string, string | string[]> }>('/api/licenses/report', async (req, reply) => {
    const q = req.query;
    const filter: Record<string, unknown> = {};
    const features = list(q.feature ?? q.features);
    const servers = list(q.server ?? q.servers);
    if (features) filter.features = features;
    if (servers) filter.servers = servers;
    if (q.inUse !== undefined) {
      if (q.inUse !== 'true' && q.inUse !== 'false')
        return reply
          .code(400)
          .send(restError('BAD_USER_INPUT', 'Invalid parameter inUse: must be true or false', req.id));
      filter.inUse = q.inUse === 'true';
    }
    const { status, body } = await executeForRest(
      apollo,
      req.lgContext!,
      LICENSE_SUMMARY_DOCUMENT,
      { filter },
      'licenseReport',
    );
    return reply.code(status).send(body);
  });
}
