import type { Snapshot, SourceType } from '../domain/snapshot';

/**
 * A source reads one configured license server. fetch() may be slow or fail; the SnapshotService wraps it
 * with single-flight, a timeout (the signal aborts) and stale-on-error. A source that could reach the server
 * but was told it is down returns a DOWN snapshot rather than throwing.
 */
export interface LicenseSource {
  readonly id: string;
  readonly type: SourceType;
  fetch(signal: AbortSignal): Promise<Snapshot>;
  close?(): Promise<void>;
}

export class SourceError extends Error {
  constructor(
    message: string,
    readonly reason: 'TIMEOUT' | 'EXIT' | 'SPAWN' | 'IO' | 'PARSE' | 'HTTP' | 'ABORTED' | 'TOO_LARGE',
  ) {
    super(message);
    this.name = 'SourceError';
  }
}
