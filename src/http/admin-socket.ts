/**
 * A local-only admin socket. PGlite allows one process per data directory, so while the server runs the CLI's
 * user and token commands reach the store through this Unix socket in the data directory (mode 0600: only the
 * account that owns the data can use it). One JSON request per line, one JSON answer per line.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import type { Role } from '../domain/auth';
import type { AuthService } from '../services/auth.service';
import type { DeploymentReportService } from '../services/deployment-report.service';
import { StoreError } from '../store/errors';

export const ADMIN_SOCKET_NAME = 'admin.sock';

export function adminSocketPath(dataDir: string): string {
  return path.join(dataDir, ADMIN_SOCKET_NAME);
}

export interface AdminRequest {
  op: 'user.create' | 'user.list' | 'token.generate' | 'token.list' | 'token.revoke' | 'report.export';
  args: Record<string, unknown>;
}

export type AdminResponse =
  { ok: true; result: unknown } | { ok: false; error: { code: string; message: string; field?: string } };

/** The admin operations, shared by the socket and the CLI's direct-store mode. */
export async function runAdminOp(
  auth: AuthService,
  req: AdminRequest,
  reports?: DeploymentReportService,
): Promise<unknown> {
  const a = req.args ?? {};
  const admin = { userId: 'cli', username: 'cli', role: 'ADMIN' as const, tokenId: 'cli' };
  switch (req.op) {
    case 'user.create':
      return auth.createUser({ username: String(a.username ?? ''), role: String(a.role ?? '') as Role });
    case 'user.list':
      return auth.listUsers();
    case 'token.generate': {
      const users = await auth.listUsers();
      const user = users.find((u) => u.username === a.username);
      if (!user) throw new StoreError404(`No user named "${String(a.username)}"`);
      return auth.issueToken({
        userId: user.id,
        name: (a.name as string | undefined) ?? null,
        expiresInDays: a.expiresInDays === undefined || a.expiresInDays === null ? null : Number(a.expiresInDays),
        servers: Array.isArray(a.servers) ? a.servers.map(String) : null,
      });
    }
    case 'token.list':
      return auth.listTokens(admin);
    case 'token.revoke': {
      const info = await auth.revokeToken(String(a.id ?? ''), admin);
      if (!info) throw new StoreError404(`No access token with id "${String(a.id)}"`);
      return info;
    }
    case 'report.export': {
      if (!reports) throw new Error('the deployment report is not available here');
      const when = (v: unknown) => (typeof v === 'string' && v ? new Date(v) : undefined);
      return reports.generate({ from: when(a.from), to: when(a.to) });
    }
    default:
      throw new Error(`unknown admin operation ${String((req as { op: unknown }).op)}`);
  }
}

class StoreError404 extends Error {
  readonly code = 'NOT_FOUND';
}

export function errorOf(err: unknown): { code: string; message: string; field?: string } {
  if (err instanceof StoreError) return { code: err.code, message: err.message, field: err.field };
  if (err instanceof StoreError404) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export async function startAdminSocket(
  dataDir: string,
  auth: AuthService,
  reports?: DeploymentReportService,
): Promise<{ path: string; close(): Promise<void> }> {
  const sockPath = adminSocketPath(dataDir);
  try {
    fs.unlinkSync(sockPath); // a leftover from a killed server; the data-dir lock already proved we are the holder
  } catch {
    /* none */
  }
  const server = net.createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > 1_000_000) conn.destroy();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let req: AdminRequest;
        try {
          req = JSON.parse(line) as AdminRequest;
        } catch {
          conn.write(JSON.stringify({ ok: false, error: { code: 'BAD_REQUEST', message: 'not JSON' } }) + '\n');
          continue;
        }
        runAdminOp(auth, req, reports).then(
          (result) => conn.write(JSON.stringify({ ok: true, result } satisfies AdminResponse) + '\n'),
          (err) => conn.write(JSON.stringify({ ok: false, error: errorOf(err) } satisfies AdminResponse) + '\n'),
        );
      }
    });
    conn.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(sockPath, () => resolve());
  });
  fs.chmodSync(sockPath, 0o600);
  return {
    path: sockPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        try {
          fs.unlinkSync(sockPath);
        } catch {
          /* gone */
        }
      }),
  };
}

/** CLI side: one request over the socket. */
export function callAdminSocket(sockPath: string, req: AdminRequest, timeoutMs = 10_000): Promise<AdminResponse> {
  return new Promise((resolve, reject) => {
    const conn = net.createConnection(sockPath);
    let buf = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`no answer from the server's admin socket ${sockPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(JSON.stringify(req) + '\n'));
    conn.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        conn.end();
        try {
          resolve(JSON.parse(buf.slice(0, nl)) as AdminResponse);
        } catch (e) {
          reject(e);
        }
      }
    });
    conn.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
