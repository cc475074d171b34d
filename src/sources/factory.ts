import type { ServerConfig } from '../config/types';
import type { LicenseSource } from './source';
import { SimulatorSource } from './simulator/simulator.source';

/** Build the source a server config describes. */
export function createSource(config: ServerConfig): LicenseSource {
  switch (config.type) {
    case 'simulator':
      return new SimulatorSource({ id: config.id, seed: config.seed, timeZone: config.timeZone });
    default:
      throw new Error(`Source type ${config.type} is not available in this build`);
  }
}
