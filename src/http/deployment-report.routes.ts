/**
 * GET /license/report (ADMIN): the deployment report as JSON, or as a TAR holding report.json with
 * ?format=tar or Accept: application/x-tar. Query: from, to (ISO-8601 instants or YYYY-MM-DD).
 */
import type { FastifyInstance } from 'fastify';
import { reportTar } from '../domain/report-archive';
import { restError } from '../errors';
import { reportFileName } from '../services/deployment-report.service';

function parseInstant(v: string | undefined, name: string): Date | undefined | Error {
  if (v === undefined || v === '') return undefined;
  const ok =
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(v) && !Number.isNaN(Date.parse(v));
  return ok
    ? new Date(v)
    : new Error(`Invalid parameter ${name}: must be an ISO-8601 date (YYYY-MM-DD) or date-time with a zone`);
}

export function registerDeploymentReportRoutes(app: FastifyInstance): void {
  app.get<{ Querystring: { format?: string; from?: string; to?: string } }>('/license/report', async (req, reply) => {
    const ctx = req.lgContext!;
    if (ctx.principal?.role !== 'ADMIN') {
      return reply
        .code(403)
        .send(
          restError('FORBIDDEN', `The deployment report needs the ADMIN role; you are ${ctx.principal?.role}`, req.id),
        );
    }
    const q = req.query;
    const wantsTar =
      q.format === 'tar' || (q.format === undefined && String(req.headers.accept ?? '').includes('application/x-tar'));
    if (q.format !== undefined && q.format !== 'json' && q.format !== 'tar') {
      return reply.code(400).send(restError('BAD_USER_INPUT', 'Invalid parameter format: must be json or tar', req.id));
    }
    const from = parseInstant(q.from, 'from');
    const to = parseInstant(q.to, 'to');
    for (const v of [from, to])
      if (v instanceof Error) return reply.code(400).send(restError('BAD_USER_INPUT', v.message, req.id));
    if (from instanceof Date && to instanceof Date && from >= to)
      return reply.code(400).send(restError('BAD_USER_INPUT', 'Invalid parameter to: must be later than from', req.id));
    const report = await ctx.services.deploymentReports!.generate({
      from: from as Date | undefined,
      to: to as Date | undefined,
    });
    const json = JSON.stringify(report);
    if (!wantsTar) return reply.type('application/json; charset=utf-8').send(json);
    const at = new Date(report.timestamp);
    const buf = await reportTar(json, at);
    return reply
      .type('application/x-tar')
      .header('content-disposition', `attachment; filename="${reportFileName(at, 'tar')}"`)
      .send(buf);
  });
}
