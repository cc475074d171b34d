/**
 * A source that runs a license-server utility and parses its stdout (the flexlm and rlm sources).
 *
 * How the outcome of a run becomes a snapshot or an error:
 *  - could not start / timed out / aborted / printed more than maxOutputBytes: a SourceError (SPAWN, TIMEOUT,
 *    ABORTED, TOO_LARGE); the SnapshotService turns it into a stale or DOWN server.
 *  - exit 0: whatever the parser made of stdout (UP, DOWN, or UNKNOWN with warnings for text it could not read).
 *  - non-zero exit (lmutil exits 1 when it cannot reach the server, yet prints why on stdout):
 *      - the parser says DOWN: that DOWN snapshot, with the exit status and stderr's first line added to its error;
 *      - the parser found no status at all: SourceError EXIT with the exit status and stderr's first line;
 *      - otherwise (UP, or UNKNOWN with some content): the parsed snapshot plus a COMMAND_EXIT warning.
 * At most one process runs per source at a time: concurrent fetches join the run in flight (SingleRun).
 */
import * as path from 'path';
import type { ServerConfig } from '../../config/types';
import type { ParseOptions, Snapshot, SourceType } from '../../domain/snapshot';
import { SourceError, type LicenseSource } from '../source';
import { describeExit, findOnPath, firstLine, runCommand, type RunResult } from './run';
import { SingleRun } from './single-run';

export interface CommandSourceOptions {
  /** The poll instant start times are inferred against (default: now). */
  now?: () => Date;
  /** PATH to look the utility up on (default: process.env.PATH). */
  envPath?: string;
  /** Extra environment for the utility (e.g. LM_LICENSE_FILE); LANG/LC_ALL are always C. */
  env?: Record<string, string>;
}

export interface CommandSpec {
  type: SourceType;
  /** The utility's name on PATH: "lmutil", "rlmutil". */
  tool: string;
  args(address: string): string[];
  parse(text: string, opts: ParseOptions): Snapshot;
}

/** True when the parser found nothing that says anything about the server. */
export function hasNoStatus(s: Snapshot): boolean {
  return s.status === 'UNKNOWN' && s.hosts.length === 0 && s.vendorDaemons.length === 0 && s.features.length === 0;
}

export class CommandSource implements LicenseSource {
  readonly id: string;
  readonly type: SourceType;
  private readonly single = new SingleRun<Snapshot>();
  private readonly now: () => Date;

  constructor(
    readonly config: ServerConfig,
    private readonly spec: CommandSpec,
    private readonly opts: CommandSourceOptions = {},
  ) {
    this.id = config.id;
    this.type = spec.type;
    this.now = opts.now ?? (() => new Date());
    if (!config.address) throw new Error(`server ${config.id}: type ${config.type} needs an address`);
  }

  /** Processes started so far (joined fetches do not start one). */
  get runs(): number {
    return this.single.runs;
  }

  /** True while a process is running. */
  get busy(): boolean {
    return this.single.busy;
  }

  fetch(signal: AbortSignal): Promise<Snapshot> {
    return this.single.run(signal, (s) => this.runOnce(s));
  }

  /** The binary to run: config.binary, else the tool found on PATH (a clear error when it cannot be found). */
  resolveBinary(): string {
    const binary = this.config.binary;
    if (binary && (binary.includes('/') || binary.includes(path.sep))) return binary;
    const name = binary || this.spec.tool;
    const found = findOnPath(name, this.opts.envPath ?? process.env.PATH);
    if (!found) {
      throw new SourceError(
        `${name} not found on PATH; set servers[].binary (the full path to ${this.spec.tool}) for server "${this.config.id}" in the config`,
        'SPAWN',
      );
    }
    return found;
  }

  private async runOnce(signal: AbortSignal): Promise<Snapshot> {
    const binary = this.resolveBinary();
    const label = path.basename(binary);
    const polledAt = this.now();
    const result = await runCommand({
      binary,
      args: this.spec.args(this.config.address!),
      signal,
      timeoutMs: this.config.timeoutSeconds * 1000,
      maxOutputBytes: this.config.maxOutputBytes,
      env: this.opts.env,
      label,
    });
    return this.interpret(result, label, polledAt);
  }

  /** Turn a finished run into a snapshot (or an EXIT error); see the module comment. */
  interpret(result: RunResult, label: string, polledAt: Date): Snapshot {
    const snap = this.spec.parse(result.stdout, {
      serverId: this.config.id,
      now: polledAt,
      timeZone: this.config.timeZone,
    });
    snap.serverId = this.config.id;
    snap.sourceType = this.spec.type;
    const failed = result.exitCode !== 0 || result.exitSignal !== null;
    const errLine = firstLine(result.stderr);
    if (failed) {
      const why = `${label} ${describeExit(result)}${errLine ? `: ${errLine}` : ''}`;
      if (hasNoStatus(snap)) {
        const out = firstLine(result.stdout);
        throw new SourceError(errLine || !out ? why : `${why}; stdout: ${out}`, 'EXIT');
      }
      if (snap.status === 'DOWN') snap.error = snap.error ? `${snap.error} (${why})` : why;
      else snap.warnings.push({ code: 'COMMAND_EXIT', message: why, affectsCounts: false });
    } else if (errLine && snap.status === 'DOWN') {
      snap.error = snap.error ? `${snap.error} (stderr: ${errLine})` : errLine;
    }
    return snap;
  }
}
