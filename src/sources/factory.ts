import type { ServerConfig } from '../config/types';
import type { LicenseSource } from './source';
import { SimulatorSource } from './simulator/simulator.source';
import { FlexlmSource } from './flexlm/flexlm.source';
import { RlmSource } from './rlm/rlm.source';
import { FileSource } from './file/file.source';
import { JsonSource } from './json/json.source';

/** Build the source a server config describes. */
export function createSource(config: ServerConfig): LicenseSource {
  switch (config.type) {
    case 'simulator':
      return new SimulatorSource({ id: config.id, randomSeed: config.randomSeed, timeZone: config.timeZone });
    case 'flexlm':
      return new FlexlmSource(config);
    case 'rlm':
      return new RlmSource(config);
    case 'flexlm-file':
    case 'rlm-file':
      return new FileSource(config);
    case 'json':
      return new JsonSource(config);
    default:
      throw new Error(`Source type ${config.type} is not available in this build`);
  }
}
