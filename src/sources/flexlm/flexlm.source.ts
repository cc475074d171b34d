/**
 * FlexNet source (type 'flexlm'): runs `lmutil lmstat -a -c <address>` (config.binary, else lmutil on PATH) and
 * parses stdout with parseLmstat. Spawning, caps, timeouts and exit-status rules: see CommandSource.
 */
import type { ServerConfig } from '../../config/types';
import { CommandSource, type CommandSourceOptions, type CommandSpec } from '../command/command.source';
import { parseLmstat } from './parse';

/** Arguments for lmutil: `lmutil lmstat -a -c 27000@host`. */
export function lmstatArgs(address: string): string[] {
  return ['lmstat', '-a', '-c', address];
}

export const FLEXLM_COMMAND: CommandSpec = {
  type: 'flexlm',
  tool: 'lmutil',
  args: lmstatArgs,
  parse: (text, opts) => parseLmstat(text, opts),
};

export class FlexlmSource extends CommandSource {
  constructor(config: ServerConfig, opts: CommandSourceOptions = {}) {
    super(config, FLEXLM_COMMAND, opts);
  }
}
