/**
 * `licensegraph report show --url U --token T [--feature GLOB ...] [--server ID ...] [--in-use] [--json]`
 *
 * Fetches the live report from a running licensegraph server with the client SDK and prints it in the Foretify Manager SDK's text
 * format, line for line:
 *
 *   FTX_DEVELOPER: 25/100 in use (75 free)
 *    - john.doe@workstation-123 since Mon 1/20 10:30
 *
 * --url defaults to LICENSEGRAPH_URL, then http://127.0.0.1:4000; --token to LICENSEGRAPH_TOKEN (prefer the
 * variable: a token on the command line is visible to other users in the process list). stdout carries only the
 * report; a report that is not valid or is stale adds one note on stderr. Exit 1 when the server cannot be reached
 * or refuses the token, 2 for bad arguments.
 *
 * The SDK (and graphql) load only when the command runs.
 */
import type { Command } from 'commander';
import { CliError } from './errors';

export interface ReportShowOptions {
  url?: string;
  token?: string;
  feature?: string[];
  server?: string[];
  inUse?: boolean;
  json?: boolean;
}

export interface ReportShowIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

const collect = (v: string, prev: string[] = []) => [
  ...prev,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

export async function runReportShow(o: ReportShowOptions, io: ReportShowIo): Promise<void> {
  const { createClient, formatReport, LicensegraphError } = await import('../client');
  const url = o.url ?? io.env.LICENSEGRAPH_URL ?? 'http://127.0.0.1:4000';
  const token = o.token ?? io.env.LICENSEGRAPH_TOKEN;
  if (!token)
    throw new CliError(
      'no token: pass --token or set LICENSEGRAPH_TOKEN (create one with `licensegraph token generate --username <name>`)',
      2,
    );
  try {
    const client = createClient({ url, token });
    const filter = {
      ...(o.feature?.length ? { features: o.feature } : {}),
      ...(o.server?.length ? { servers: o.server } : {}),
      ...(o.inUse ? { inUse: true } : {}),
    };
    const report = await client.licenses().report(Object.keys(filter).length ? filter : undefined);
    if (o.json) {
      io.stdout(JSON.stringify(report, null, 2) + '\n');
    } else {
      const lines = formatReport(report);
      if (lines.length) io.stdout(lines.join('\n') + '\n');
    }
    if (!report.valid || report.stale) {
      io.stderr(
        `note: the report is ${[!report.valid ? 'not valid' : '', report.stale ? 'stale (a server could not be read)' : ''].filter(Boolean).join(' and ')}; query licenseReport { issues } for details\n`,
      );
    }
  } catch (e) {
    if (e instanceof LicensegraphError) {
      if (e.code === 'BAD_URL') throw new CliError(e.message, 2);
      if (e.code === 'BAD_USER_INPUT') throw new CliError(e.message, 2);
      throw new CliError(e.code === 'UNAUTHENTICATED' ? `${url} refused the token (${e.message})` : e.message, 1);
    }
    throw e;
  }
}

export function registerReportCommand(program: Command): void {
  const report = program.command('report').description('Read reports from a running licensegraph server');
  report
    .command('show')
    .description(
      'Print the live license report in the Foretify Manager SDK text format ("FEATURE: used/issued in use (free free)")',
    )
    .option('--url <url>', 'server address (default: $LICENSEGRAPH_URL or http://127.0.0.1:4000)')
    .option('--token <token>', 'access token (default: $LICENSEGRAPH_TOKEN)')
    .option('--feature <glob>', 'feature name or glob; repeat or comma-separate for several', collect)
    .option('--server <id>', 'server id; repeat or comma-separate for several', collect)
    .option('--in-use', 'only features with licenses in use')
    .option('--json', 'print the report as JSON instead')
    .action(async (o: ReportShowOptions) => {
      await runReportShow(o, {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        env: process.env,
      });
    });
}
