/** The licensegraph client SDK (re-exported from the package entry, src/index.ts). */
export {
  createClient,
  LicensegraphError,
  type CheckoutEventPayload,
  type ClientOptions,
  type FeatureSummary,
  type FeatureUsageChangeEvent,
  type LicenseAlertEvent,
  type LicensegraphClient,
  type LicensesApi,
  type LicenseSubscriptions,
  type LicenseSummary,
  type ReportFilter,
  type Sink,
  type TimeBucket,
  type UsageArgs,
  type UsageDimension,
  type UsageFilter,
  type UsageRow,
} from './client';
export { formatFeatureLine, formatReport, type FormattableReport } from './format';
export * as documents from './generated';
