/**
 * REST compatibility with the Instabase-style License Usage API: the same UsageService as GraphQL `usage` and
 * `resourceUsage`, answered in that API's shapes (every value a string).
 *
 *   GET /api/v1/license-service/usage[/<server_id>]?group_by=&product_name=&resource_name=&user_account_id=
 *       &host_name=&earliest_time=&latest_time=[&bucket=hour|day|week|month][&time_zone=Europe/Berlin]
 *     -> { "usage_metrics": [ { ib_license_id, product_name, resource_name, ..., usage_amount, timestamp_in_secs, ... } ] }
 *   GET /api/v1/license-service/resource_usage?start_time=&end_time=
 *     -> { "license_resource_usages": { "<feature>": "<license-seconds>" } }
 *
 * group_by takes the Instabase-style attribute names, mapped to ours: IBLicenseID -> SERVER, ProductName and ResourceName ->
 * FEATURE, ProductVersion -> VERSION, UserAccountID -> USER, TimestampInSecs -> TIME (bucket default day, UTC),
 * HostName -> HOST. That API's attributes with no counterpart here (ProductResourceID, AssignmentID, CreditID,
 * Solution*) are accepted and their fields stay empty; any other name is a 400 naming group_by. Times are 10-digit
 * Unix seconds (the 19-digit nanoseconds of that API's own resource_usage example are read too). usage_amount is the
 * license-seconds (licenses held x seconds, clipped to the window), rounded.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { restError } from '../errors';
import { UsageInputError, type TimeBucket, type UsageDimension, type UsageRowData } from '../services/usage.service';

type Query = Record<string, string | string[] | undefined>;

class ParamError extends Error {
  constructor(
    readonly param: string,
    readonly rule: string,
  ) {
    super(`Invalid parameter ${param}: ${rule}`);
  }
}

const ATTRIBUTES: Record<string, UsageDimension | null> = {
  iblicenseid: 'SERVER',
  productname: 'FEATURE',
  resourcename: 'FEATURE',
  productversion: 'VERSION',
  useraccountid: 'USER',
  timestampinsecs: 'TIME',
  hostname: 'HOST',
  // the Instabase-style API's, with nothing to group by here: accepted, their fields stay ""
  productresourceid: null,
  assignmentid: null,
  creditid: null,
  solutionid: null,
  solutionname: null,
  solutionversion: null,
  solutionowner: null,
  jobid: null,
};
const KNOWN_ATTRIBUTES =
  'IBLicenseID, ProductName, ResourceName, ProductVersion, UserAccountID, TimestampInSecs, HostName (and the Instabase-style ProductResourceID, AssignmentID, CreditID, SolutionID, SolutionName, SolutionVersion, SolutionOwner)';

/** GraphQL field names -> the REST parameter they come from. */
const PARAM_OF: Record<string, string> = {
  groupBy: 'group_by',
  bucket: 'bucket',
  timeZone: 'time_zone',
  'filter.earliestTime': 'earliest_time',
  'filter.latestTime': 'latest_time',
  startTime: 'start_time',
  endTime: 'end_time',
};

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) {
    if (v.length > 1) throw new ParamError(name, 'must be given once');
    return v[0];
  }
  return v;
}

function list(q: Query, name: string): string[] | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  const out = (Array.isArray(v) ? v : [v])
    .flatMap((x) => x.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  return out.length ? out : undefined;
}

/** 10-digit Unix seconds (any 1-10 digits), or 19-digit nanoseconds. */
export function parseUnixTime(raw: string | undefined, param: string): Date | undefined {
  if (raw === undefined || raw === '') return undefined;
  let ms: number;
  if (/^\d{1,10}$/.test(raw)) ms = Number(raw) * 1000;
  else if (/^\d{19}$/.test(raw)) ms = Number(BigInt(raw) / 1_000_000n);
  else throw new ParamError(param, 'must be a Unix time in seconds (10 digits), e.g. 1686700800');
  return new Date(ms);
}

export function parseGroupBy(raw: string[] | undefined): { groupBy: UsageDimension[]; grouped: Set<string> } {
  const names = raw ?? ['IBLicenseID'];
  const groupBy: UsageDimension[] = [];
  const grouped = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (!(key in ATTRIBUTES))
      throw new ParamError('group_by', `unknown attribute "${name.slice(0, 64)}" (known: ${KNOWN_ATTRIBUTES})`);
    grouped.add(key);
    const dim = ATTRIBUTES[key];
    if (dim && !groupBy.includes(dim)) groupBy.push(dim);
  }
  return { groupBy, grouped };
}

function parseBucket(raw: string | undefined): TimeBucket | undefined {
  if (raw === undefined || raw === '') return undefined;
  const b = raw.toUpperCase();
  if (b === 'HOUR' || b === 'DAY' || b === 'WEEK' || b === 'MONTH') return b;
  throw new ParamError('bucket', 'must be hour, day, week or month');
}

const secs = (d: Date | null) => (d ? String(Math.floor(d.getTime() / 1000)) : '');
const num = (n: number | null) => (n === null ? '' : String(Math.round(n * 1000) / 1000));

/** One usage row in the Instabase-style shape (its key order), then licensegraph's extras, every value a string. */
export function usageMetric(r: UsageRowData, grouped: Set<string>): Record<string, string> {
  return {
    ib_license_id: r.server ?? '',
    product_name: r.feature ?? '',
    resource_name: r.feature ?? '',
    product_resource_id: '',
    credit_id: '',
    timestamp_in_secs: secs(r.bucketStart),
    usage_amount: String(Math.round(r.licenseSeconds)),
    credit_cost: '0',
    solution_id: '',
    solution_name: '',
    user_account_id: r.user ?? '',
    product_version: grouped.has('productversion') ? (r.version ?? '') : 'ANY',
    assignment_id: '',
    job_id: '',
    tags: '',
    solution_version: '',
    solution_owner: '',
    host_name: r.host ?? '',
    sessions: String(r.sessions),
    license_hours: num(r.licenseSeconds / 3600),
    peak_in_use: r.peakInUse === null ? '' : String(r.peakInUse),
    average_in_use: num(r.averageInUse),
    distinct_users: String(r.distinctUsers),
    first_seen_secs: secs(r.firstSeen),
    last_seen_secs: secs(r.lastSeen),
  };
}

const NO_USAGE: UsageRowData = {
  bucketStart: null,
  server: null,
  feature: null,
  version: null,
  user: null,
  host: null,
  sessions: 0,
  licenseSeconds: 0,
  distinctUsers: 0,
  firstSeen: null,
  lastSeen: null,
  peakInUse: null,
  averageInUse: null,
};
/** The CSV columns: every field of a usage row as usageMetric writes it, in the JSON's order. */
export const USAGE_CSV_COLUMNS = Object.keys(usageMetric(NO_USAGE, new Set()));

/** ?format=csv, or an Accept header that asks for text/csv (and not JSON first). ?format=json wins over Accept. */
function wantsCsv(req: FastifyRequest, format: string | undefined): boolean {
  if (format !== undefined) {
    if (format !== 'csv' && format !== 'json') throw new ParamError('format', 'must be csv or json');
    return format === 'csv';
  }
  const accept = String(req.headers.accept ?? '');
  const csv = accept.indexOf('text/csv');
  const json = accept.indexOf('application/json');
  return csv >= 0 && (json < 0 || csv < json);
}

/**
 * A header row and one row per group (RFC 4180, CRLF). Cells a spreadsheet would run as a formula (user and host
 * names come from license servers, so from anyone) start with a single quote, as OWASP advises.
 */
export function usageCsv(metrics: Array<Record<string, string>>): string {
  const cell = (v: string) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
  return stringify(
    metrics.map((m) => USAGE_CSV_COLUMNS.map((c) => cell(m[c] ?? ''))),
    { header: true, columns: USAGE_CSV_COLUMNS, record_delimiter: 'windows' },
  );
}

function fail(req: FastifyRequest, reply: FastifyReply, e: unknown): FastifyReply {
  if (e instanceof ParamError) return reply.code(400).send(restError('BAD_USER_INPUT', e.message, req.id));
  if (e instanceof UsageInputError) {
    const param = PARAM_OF[e.field] ?? e.field;
    const rule = e.rule
      .replace(/filter\.latestTime/g, 'latest_time')
      .replace(/filter\.earliestTime/g, 'earliest_time')
      .replace(/\bstartTime\b/g, 'start_time')
      .replace(/\bendTime\b/g, 'end_time');
    return reply.code(400).send(restError('BAD_USER_INPUT', `Invalid parameter ${param}: ${rule}`, req.id));
  }
  throw e;
}

export function registerUsageRoutes(app: FastifyInstance): void {
  const usage = async (
    req: FastifyRequest<{ Querystring: Query; Params: { serverId?: string } }>,
    reply: FastifyReply,
  ) => {
    const ctx = req.lgContext!;
    try {
      const q = req.query;
      const serverId = req.params.serverId;
      if (serverId !== undefined && !ctx.services.snapshots.has(serverId)) {
        return reply
          .code(404)
          .send(restError('NOT_FOUND', `License server "${serverId.slice(0, 64)}" not found`, req.id));
      }
      const { groupBy, grouped } = parseGroupBy(list(q, 'group_by'));
      const bucket = parseBucket(one(q, 'bucket'));
      const rows = await ctx.services.usage.usage({
        groupBy,
        bucket: groupBy.includes('TIME') ? (bucket ?? 'DAY') : null,
        timeZone: one(q, 'time_zone') ?? null,
        filter: {
          features: list(q, 'product_name'),
          resources: list(q, 'resource_name'),
          users: list(q, 'user_account_id'),
          hosts: list(q, 'host_name'),
          servers: serverId !== undefined ? [serverId] : list(q, 'server'),
          earliestTime: parseUnixTime(one(q, 'earliest_time'), 'earliest_time') ?? null,
          latestTime: parseUnixTime(one(q, 'latest_time'), 'latest_time') ?? null,
        },
      });
      const metrics = rows.map((r) => usageMetric(r, grouped));
      if (wantsCsv(req, one(q, 'format'))) {
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="usage.csv"')
          .send(usageCsv(metrics));
      }
      return reply.send({ usage_metrics: metrics });
    } catch (e) {
      return fail(req, reply, e);
    }
  };
  app.get('/api/v1/license-service/usage', usage);
  app.get('/api/v1/license-service/usage/:serverId', usage);

  app.get<{ Querystring: Query }>('/api/v1/license-service/resource_usage', async (req, reply) => {
    const ctx = req.lgContext!;
    try {
      const q = req.query;
      const rows = await ctx.services.usage.resourceUsage(
        parseUnixTime(one(q, 'start_time'), 'start_time') ?? null,
        parseUnixTime(one(q, 'end_time'), 'end_time') ?? null,
        list(q, 'server') ?? null,
      );
      const out: Record<string, string> = {};
      for (const r of rows) out[r.feature] = String(Math.round(r.licenseSeconds));
      return reply.send({ license_resource_usages: out });
    } catch (e) {
      return fail(req, reply, e);
    }
  });
}
