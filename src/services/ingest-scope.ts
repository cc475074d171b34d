/** A token's push scope must name configured servers of type ingest (the only ones that accept pushes). */
import type { ServerConfig } from '../config/types';

/** Why a push scope is not acceptable with these servers, or null. */
export function pushScopeProblem(
  servers: readonly string[] | null | undefined,
  configs: readonly Pick<ServerConfig, 'id' | 'type'>[],
): string | null {
  for (const id of servers ?? []) {
    const config = configs.find((c) => c.id === id);
    if (!config) return `no configured license server "${id}"`;
    if (config.type !== 'ingest')
      return `license server "${id}" is of type ${config.type}; only servers of type ingest accept pushes`;
  }
  return null;
}
