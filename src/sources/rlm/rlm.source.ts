/**
 * RLM source (type 'rlm'): runs `rlmutil rlmstat -a -c <address>` (config.binary, else rlmutil on PATH) and
 * parses stdout with parseRlmstat. Spawning, caps, timeouts and exit-status rules: see CommandSource.
 */
import type { ServerConfig } from '../../config/types';
import { CommandSource, type CommandSourceOptions, type CommandSpec } from '../command/command.source';
import { rlmstatArgs } from './index';
import { parseRlmstat } from './parse';

export const RLM_COMMAND: CommandSpec = {
  type: 'rlm',
  tool: 'rlmutil',
  args: (address) => rlmstatArgs(address),
  parse: (text, opts) => parseRlmstat(text, { ...opts, sourceType: 'rlm' }),
};

export class RlmSource extends CommandSource {
  constructor(config: ServerConfig, opts: CommandSourceOptions = {}) {
    super(config, RLM_COMMAND, opts);
  }
}
