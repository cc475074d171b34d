/**
 * The licensegraph CLI (`npx licensegraph <command>`).
 */
import 'reflect-metadata';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../config/load';
import { ROLES, type AccessTokenInfo, type User } from '../domain/auth';
import { CliError } from './errors';
import { redactSecrets } from '../store/redact';
import { registerParseCommand } from './parse.command';
import { registerReportCommand } from './report-show.command';
import { registerReportExportCommands } from './report-export.command';
import type { AdminRequest } from '../http/admin-socket';

// Heavy modules (Apollo, PGlite, Drizzle) load only in the commands that need them, so `--help` is quick.
const adminOp = async (req: AdminRequest) => (await import('./store-access')).adminOp(req);

const VERSION: string = require('../../package.json').version;

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 3650)
    throw new InvalidArgumentError('must be a whole number of days from 1 to 3650');
  return n;
}

function table(rows: Array<Record<string, unknown>>, cols: string[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : v instanceof Date ? v.toISOString() : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n') + '\n';
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('licensegraph')
    .description('License-usage monitoring API for FlexNet, RLM and other license servers')
    .version(VERSION);
  program.showHelpAfterError();

  program
    .command('serve')
    .description('Start the API server (GraphQL, REST, portal) with the configured license servers')
    .action(async () => {
      const config = loadConfig();
      // Files the server creates (data directory, admin socket) are for its own user only.
      process.umask(process.umask() | 0o077);
      const { default: pino } = await import('pino');
      const { installSignalHandlers, startServer } = await import('../main');
      const logger = pino({ level: config.logLevel });
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(config, logger);
      } catch (e) {
        // startServer closed what it opened; whatever is left (a PGlite that aborted) must not keep us alive.
        process.stderr.write(`licensegraph: ${redactSecrets(e instanceof Error ? e.message : String(e))}\n`);
        process.exit(e instanceof ConfigError ? 2 : 1);
      }
      installSignalHandlers(server, logger);
    });

  const user = program.command('user').description('Manage users');
  user
    .command('create')
    .description('Create a user')
    .requiredOption('--username <name>', 'user name (letters, digits, . _ @ -)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--json', 'print JSON')
    .action(async (o: { username: string; role: string; json?: boolean }) => {
      if (!ROLES.includes(o.role as never)) throw new CliError(`--role must be one of ${ROLES.join(', ')}`, 2);
      const u = (await adminOp({ op: 'user.create', args: { username: o.username, role: o.role } })) as User;
      process.stdout.write(o.json ? JSON.stringify(u) + '\n' : `created user ${u.username} (${u.role}), id ${u.id}\n`);
    });
  user
    .command('list')
    .description('List users')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const users = (await adminOp({ op: 'user.list', args: {} })) as User[];
      process.stdout.write(
        o.json
          ? JSON.stringify(users) + '\n'
          : table(users as unknown as Array<Record<string, unknown>>, [
              'id',
              'username',
              'role',
              'disabled',
              'createdAt',
            ]),
      );
    });

  const token = program.command('token').description('Manage access tokens');
  token
    .command('generate')
    .alias('create')
    .description('Issue an access token for a user; prints the token alone on stdout (it is shown only once)')
    .requiredOption('--username <name>', 'the user the token belongs to')
    .option('--expires-in-days <n>', 'expire after N days (default: never)', positiveInt)
    .option('--name <name>', 'a label to recognise the token by')
    .option(
      '--server <id>',
      'push scope: a server id the token may push to (repeatable; default: every ingest-type server)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .action(async (o: { username: string; expiresInDays?: number; name?: string; server?: string[] }) => {
      const args = {
        username: o.username,
        expiresInDays: o.expiresInDays ?? null,
        name: o.name ?? null,
        servers: o.server ?? null,
      };
      const r = (await adminOp({ op: 'token.generate', args })) as { token: string; info: AccessTokenInfo };
      process.stdout.write(r.token + '\n');
      const scope = r.info.servers ? `, may push to ${r.info.servers.join(', ')}` : '';
      process.stderr.write(
        `token ${r.info.id} (${r.info.prefix}…) for ${o.username}${r.info.expiresAt ? `, expires ${String(r.info.expiresAt)}` : ''}${scope}\n`,
      );
    });
  token
    .command('list')
    .description('List access tokens (never the secret)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const list = (await adminOp({ op: 'token.list', args: {} })) as AccessTokenInfo[];
      process.stdout.write(
        o.json
          ? JSON.stringify(list) + '\n'
          : table(
              list.map((t) => ({ ...t, servers: t.servers?.join(',') ?? null })) as unknown as Array<
                Record<string, unknown>
              >,
              ['id', 'username', 'name', 'prefix', 'servers', 'createdAt', 'expiresAt', 'revokedAt', 'lastUsedAt'],
            ),
      );
    });
  token
    .command('revoke')
    .description('Revoke an access token by id')
    .argument('<id>', 'token id (see token list)')
    .action(async (id: string) => {
      const info = (await adminOp({ op: 'token.revoke', args: { id } })) as AccessTokenInfo;
      process.stdout.write(`revoked token ${info.id} (${info.prefix}…) of ${info.username}\n`);
    });

  registerParseCommand(program);
  registerReportCommand(program);
  registerReportExportCommands(program);

  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      process.exitCode = err.exitCode ?? 2;
      return;
    }
    if (e instanceof CliError) {
      process.stderr.write(`licensegraph: ${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`licensegraph: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`licensegraph: ${redactSecrets(e instanceof Error ? e.message : String(e))}\n`);
    process.exitCode = 1;
  }
}
