/**
 * How CLI commands reach the store: directly (PostgreSQL, or a PGlite directory no server holds), or through the
 * running server's admin socket when the server holds the PGlite directory.
 */
import * as fs from 'fs';
import { loadConfig } from '../config/load';
import { adminSocketPath, callAdminSocket, errorOf, runAdminOp, type AdminRequest } from '../http/admin-socket';
import { AuthService } from '../services/auth.service';
import { pushScopeProblem } from '../services/ingest-scope';
import { DataDirLockedError, openStore } from '../store';

import { CliError } from './errors';

export { CliError };

export async function adminOp(req: AdminRequest): Promise<unknown> {
  const config = loadConfig();
  if (req.op === 'token.generate' && Array.isArray(req.args.servers)) {
    const problem = pushScopeProblem(req.args.servers.map(String), config.servers);
    if (problem) throw new CliError(`--server: ${problem}`, 2);
  }
  if (!config.databaseUrl) fs.mkdirSync(config.dataDir, { recursive: true });
  try {
    const store = await openStore({
      databaseUrl: config.databaseUrl,
      dataDir: config.databaseUrl ? undefined : config.dataDir,
      purpose: 'cli',
    });
    const auth = new AuthService(store, { lastUsedFlushMs: 0 });
    try {
      return await runAdminOp(auth, req);
    } catch (e) {
      const err = errorOf(e);
      throw new CliError(err.message);
    } finally {
      await auth.close();
      await store.close();
    }
  } catch (e) {
    if (!(e instanceof DataDirLockedError)) throw e;
    const sock = adminSocketPath(config.dataDir);
    if (!fs.existsSync(sock)) throw new CliError(e.message);
    const res = await callAdminSocket(sock, req);
    if (!res.ok) throw new CliError(res.error.message);
    return res.result;
  }
}
