/**
 * `licensegraph report export [--format json|tar] [--from ISO] [--to ISO] [--out FILE]`
 *   Generates the deployment report (ADMIN data) from this installation's store: directly when no server holds the
 *   data directory (PostgreSQL, or a stopped server), else through the running server's local admin socket.
 *   The license servers' current state is read once, as the server would.
 * `licensegraph report verify FILE`
 *   Recomputes the checksum of an exported report (.json, or a .tar holding report.json): exit 0 when it matches,
 *   1 when it does not (or the file is not a report), 2 when the file cannot be read.
 */
import * as fs from 'fs';
import type { Command } from 'commander';
import { CliError } from './errors';

interface ExportOptions {
  format?: string;
  from?: string;
  to?: string;
  out?: string;
}

function instant(v: string | undefined, name: string): Date | undefined {
  if (v === undefined) return undefined;
  if (
    !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(v) ||
    Number.isNaN(Date.parse(v))
  ) {
    throw new CliError(`--${name} must be an ISO-8601 date (YYYY-MM-DD) or date-time with a zone`, 2);
  }
  return new Date(v);
}

export async function exportReport(o: ExportOptions): Promise<{ json: string; timestamp: string }> {
  const from = instant(o.from, 'from');
  const to = instant(o.to, 'to');
  if (from && to && from >= to) throw new CliError('--to must be later than --from', 2);
  const { loadConfig } = await import('../config/load');
  const { openStore, DataDirLockedError } = await import('../store');
  const config = loadConfig();
  if (!config.databaseUrl) fs.mkdirSync(config.dataDir, { recursive: true });
  let store;
  try {
    store = await openStore({
      databaseUrl: config.databaseUrl,
      dataDir: config.databaseUrl ? undefined : config.dataDir,
      purpose: 'cli',
    });
  } catch (e) {
    if (!(e instanceof DataDirLockedError)) throw e;
    const { adminSocketPath, callAdminSocket } = await import('../http/admin-socket');
    const sock = adminSocketPath(config.dataDir);
    if (!fs.existsSync(sock)) throw new CliError(e.message);
    const res = await callAdminSocket(
      sock,
      { op: 'report.export', args: { from: from?.toISOString(), to: to?.toISOString() } },
      60_000,
    );
    if (!res.ok) throw new CliError(res.error.message);
    const report = res.result as { timestamp: string };
    return { json: JSON.stringify(report), timestamp: report.timestamp };
  }
  const { default: pino } = await import('pino');
  const { buildApp } = await import('../server');
  const app = await buildApp({ config: { ...config, logLevel: 'silent' }, store, logger: pino({ level: 'silent' }) });
  try {
    const report = await app.services.deploymentReports!.generate({ from, to });
    return { json: JSON.stringify(report), timestamp: report.timestamp };
  } finally {
    await app.close();
    await store.close();
  }
}

export async function verifyReportFile(
  file: string,
): Promise<{ ok: boolean; claimed: unknown; actual: string | null; message: string }> {
  let text: string | null;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new CliError(`${file} is not a file`, 2);
    if (file.endsWith('.tar')) {
      const { readReportFromTar } = await import('../domain/report-archive');
      text = await readReportFromTar(file);
      if (text === null) return { ok: false, claimed: null, actual: null, message: `${file} holds no report.json` };
    } else {
      text = fs.readFileSync(file, 'utf8');
    }
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`, 2);
  }
  let report: unknown;
  try {
    report = JSON.parse(text);
  } catch {
    return {
      ok: false,
      claimed: null,
      actual: null,
      message: `${file}: the report is not valid JSON (it was changed or truncated)`,
    };
  }
  if (!report || typeof report !== 'object' || Array.isArray(report))
    return { ok: false, claimed: null, actual: null, message: `${file}: not a report object` };
  const { verifyChecksum } = await import('../domain/canonical');
  const v = verifyChecksum(report as Record<string, unknown>);
  return {
    ok: v.ok,
    claimed: v.claimed,
    actual: v.actual,
    message: v.ok
      ? `checksum OK: ${v.actual}`
      : `checksum MISMATCH: the report says ${String(v.claimed)} but its content gives ${v.actual}`,
  };
}

export function registerReportExportCommands(program: Command): void {
  const report =
    program.commands.find((c) => c.name() === 'report') ?? program.command('report').description('Reports');
  report
    .command('export')
    .description(
      'Generate the deployment report (counters, usage, licenses, servers, checksum); nothing is sent anywhere',
    )
    .option('--format <format>', 'json or tar', 'json')
    .option('--from <date>', 'period start (default: the first day of the month 11 months ago)')
    .option('--to <date>', 'period end (default: now)')
    .option('--out <file>', 'write to FILE (default: stdout for json, report-YYYY_MM_DD_HH_MM_AM.tar for tar)')
    .action(async (o: ExportOptions) => {
      if (o.format !== 'json' && o.format !== 'tar') throw new CliError('--format must be json or tar', 2);
      const { json, timestamp } = await exportReport(o);
      if (o.format === 'json') {
        if (o.out) fs.writeFileSync(o.out, json + '\n');
        else process.stdout.write(json + '\n');
      } else {
        const { reportTar } = await import('../domain/report-archive');
        const { reportFileName } = await import('../services/deployment-report.service');
        const at = new Date(timestamp);
        const out = o.out ?? reportFileName(at, 'tar');
        fs.writeFileSync(out, await reportTar(json, at));
        process.stderr.write(`wrote ${out}\n`);
      }
    });
  report
    .command('verify')
    .description('Recompute the checksum of an exported report (.json or .tar); exit 0 when it matches, 1 when not')
    .argument('<file>', 'the exported report')
    .action(async (file: string) => {
      const r = await verifyReportFile(file);
      if (r.ok) process.stdout.write(r.message + '\n');
      else {
        process.stderr.write(`licensegraph: ${r.message}\n`);
        process.exitCode = 1;
      }
    });
}
