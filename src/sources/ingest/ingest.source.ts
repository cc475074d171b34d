/**
 * The source of a push-mode server (config type "ingest"): it never reaches out. It serves the last snapshot an
 * agent pushed (POST /api/v1/ingest or the ingestLicenseStatus mutation); before the first push the server is
 * UNKNOWN.
 */
import type { ServerConfig } from '../../config/types';
import type { Snapshot } from '../../domain/snapshot';
import type { LicenseSource } from '../source';

export class IngestSource implements LicenseSource {
  readonly type = 'ingest' as const;
  readonly id: string;
  private last: Snapshot | null = null;

  constructor(config: Pick<ServerConfig, 'id'>) {
    this.id = config.id;
  }

  /** Called by the ingest path with every accepted snapshot. */
  push(snapshot: Snapshot): void {
    this.last = snapshot;
  }

  async fetch(): Promise<Snapshot> {
    if (this.last) return this.last;
    return {
      serverId: this.id,
      sourceType: 'ingest',
      fetchedAt: new Date().toISOString(),
      status: 'UNKNOWN',
      version: null,
      hosts: [],
      vendorDaemons: [],
      features: [],
      warnings: [],
      error: 'no status pushed yet (push mode: POST /api/v1/ingest)',
    };
  }
}
