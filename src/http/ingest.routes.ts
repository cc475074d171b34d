/**
 * Push mode over REST: POST /api/v1/ingest?server=<id>[&format=lmstat|rlmstat|json|auto] with the raw text as the
 * body (any content type; it is read as UTF-8 text, up to LICENSEGRAPH_INGEST_MAX_BYTES). UPLOADER and ADMIN only:
 * other roles get 403 before the body is read. Same path as the ingestLicenseStatus mutation (HistoryService.ingest):
 * 403 FORBIDDEN for a server that is not of type ingest or outside the token's scope, 413 PAYLOAD_TOO_LARGE naming
 * the push limit exceeded (error.limit), 400 BAD_USER_INPUT naming what the store could not hold.
 *
 *   curl -X POST -H "Authorization: Bearer $TOKEN" --data-binary @lmstat.txt \
 *        "http://licensegraph:4000/api/v1/ingest?server=eda&format=lmstat"
 */
import type { FastifyInstance } from 'fastify';
import { restError } from '../errors';
import { IngestForbiddenError, IngestInputError, IngestTooLargeError } from '../services/history.service';
import type { Services } from '../services/services';
import { INGEST_FORMATS, type IngestFormat } from '../sources/ingest';

const INGEST_ROLES = new Set(['UPLOADER', 'ADMIN']);

export function registerIngestRoutes(app: FastifyInstance, services: Services): void {
  const maxBytes = services.history.ingestLimits.maxBytes;
  const tooLarge = (limit: string, max: number, message: string, requestId: string) => {
    const body = restError('PAYLOAD_TOO_LARGE', message, requestId);
    return { error: { ...body.error, limit, max } };
  };
  // Its own scope: the body is raw text whatever the content type, with a larger limit than the API's.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));

    // Role check before the body is read (the REST scope's own authentication runs later, from its cache).
    scope.addHook('onRequest', async (req, reply) => {
      const h = req.headers.authorization;
      const principal = await services.auth.authenticate(typeof h === 'string' ? h : undefined);
      if (!principal) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="licensegraph"')
          .send(
            restError(
              'UNAUTHENTICATED',
              'Authentication required: send "Authorization: Bearer <token>" with a valid, unexpired access token',
              req.id,
            ),
          );
      }
      if (!INGEST_ROLES.has(principal.role)) {
        return reply
          .code(403)
          .send(
            restError(
              'FORBIDDEN',
              `Pushing license status needs the UPLOADER or ADMIN role; you are ${principal.role}`,
              req.id,
            ),
          );
      }
    });

    scope.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        const msg = `Request body is larger than the limit of ${maxBytes} bytes (LICENSEGRAPH_INGEST_MAX_BYTES)`;
        return reply.code(413).send(tooLarge('LICENSEGRAPH_INGEST_MAX_BYTES', maxBytes, msg, req.id));
      }
      const status =
        typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) {
        services.logger.error({ err, requestId: req.id }, 'ingest failed unexpectedly');
        return reply.code(500).send(restError('INTERNAL_SERVER_ERROR', 'Internal server error', req.id));
      }
      return reply.code(status).send(restError('BAD_REQUEST', err.message, req.id));
    });

    scope.post<{ Querystring: Record<string, string | string[] | undefined>; Body: unknown }>(
      '/api/v1/ingest',
      { bodyLimit: maxBytes },
      async (req, reply) => {
        const q = req.query;
        const server = typeof q.server === 'string' ? q.server : undefined;
        if (!server || !/^[a-z0-9-]{1,64}$/.test(server)) {
          return reply
            .code(400)
            .send(
              restError(
                'BAD_USER_INPUT',
                'Invalid parameter server: a configured server id (lowercase letters, digits and dashes) is required',
                req.id,
              ),
            );
        }
        const rawFormat = q.format === undefined ? 'auto' : typeof q.format === 'string' ? q.format.toLowerCase() : '';
        if (rawFormat !== 'auto' && !(INGEST_FORMATS as readonly string[]).includes(rawFormat)) {
          return reply
            .code(400)
            .send(
              restError('BAD_USER_INPUT', 'Invalid parameter format: must be lmstat, rlmstat, json or auto', req.id),
            );
        }
        const text =
          typeof req.body === 'string' ? req.body : Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
        try {
          const result = await services.history.ingest(
            server,
            rawFormat as IngestFormat | 'auto',
            text,
            req.lgContext?.principal ?? undefined,
          );
          return reply.send(result);
        } catch (e) {
          if (e instanceof IngestForbiddenError) return reply.code(403).send(restError('FORBIDDEN', e.message, req.id));
          if (e instanceof IngestTooLargeError)
            return reply.code(413).send(tooLarge(e.limit, e.max, `Push too large: ${e.message}`, req.id));
          if (e instanceof IngestInputError) {
            if (e.notFound)
              return reply.code(404).send(restError('NOT_FOUND', `License server "${server}" not found`, req.id));
            const what = e.field === 'server' || e.field === 'format' ? `parameter ${e.field}` : 'request body';
            return reply.code(400).send(restError('BAD_USER_INPUT', `Invalid ${what}: ${e.rule}`, req.id));
          }
          throw e;
        }
      },
    );
  });
}
