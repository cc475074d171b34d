/** JSON (LicenseSummary) adapter: the pure mapper and the polling source. */
export {
  mapLicenseSummary,
  tryMapLicenseSummary,
  parseLicenseSummaryJson,
  snapshotToLicenseSummary,
  splitServerInfo,
} from './map';
export type { LicenseSummary, LicenseSummaryFeature, LicenseSummaryCheckout, MapOptions, MapResult } from './map';
export { JsonSource, redactUrl } from './json.source';
