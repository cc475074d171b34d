/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** What an alert rule watches. */
export type AlertKind =
  /** A vendor daemon is DOWN; `feature` selects daemons by name or glob (no threshold). */
  | 'DAEMON_DOWN'
  /** The feature's earliest pool expires within threshold D days (or has expired). */
  | 'EXPIRES_WITHIN_DAYS'
  /** Free licenses of a feature below threshold N. */
  | 'FREE_BELOW'
  /** Free licenses below threshold P percent of issued. */
  | 'FREE_PERCENT_BELOW'
  /** More than threshold N (default 0) licenses of a feature are queued. */
  | 'QUEUE_NONEMPTY'
  /** The license server is DOWN or cannot be read (no feature, no threshold). */
  | 'SERVER_DOWN';

/** CONFIG: from the config file (read-only); API: made by createAlertRule. */
export type AlertRuleSource =
  | 'API'
  | 'CONFIG';

export type AlertStatus =
  | 'FIRING'
  | 'RESOLVED';

export type CheckoutEventType =
  | 'CHECKED_IN'
  | 'CHECKED_OUT';

/** Which features a report includes. */
export type ReportFilter = {
  /** Exact feature names or globs (FTX_*, MATLAB?). */
  features?: Array<string> | null | undefined;
  /** Only features with at least one license in use. */
  inUse?: boolean | null | undefined;
  /** Server ids to include (default: all). */
  servers?: Array<string> | null | undefined;
};

/** Calendar buckets (weeks start on Monday), in the requested time zone. */
export type TimeBucket =
  | 'DAY'
  | 'HOUR'
  | 'MONTH'
  | 'WEEK';

/** What usage rows are grouped by. TIME buckets by the `bucket` argument in the `timeZone` argument. */
export type UsageDimension =
  | 'FEATURE'
  | 'HOST'
  | 'SERVER'
  | 'TIME'
  | 'USER'
  | 'VERSION';

/** Which history a usage query reads. Lists: any entry matches; names take * and ? globs. */
export type UsageFilter = {
  /** Window start (default: the beginning of history). */
  earliestTime?: string | null | undefined;
  /** Feature names or globs (the "product"). */
  features?: Array<string> | null | undefined;
  /** Host names or globs. */
  hosts?: Array<string> | null | undefined;
  /** Window end, exclusive (default: now). Must be later than earliestTime. */
  latestTime?: string | null | undefined;
  /** Server ids (one id: the usage of a single license server). */
  servers?: Array<string> | null | undefined;
  /** User names or globs. */
  users?: Array<string> | null | undefined;
};

export type ClientLicenseReportQueryVariables = Exact<{
  filter?: ReportFilter | null | undefined;
}>;


export type ClientLicenseReportQuery = { licenseReport: { valid: boolean, stale: boolean, fetchedAt: string, summaryByFeature: Array<{ valid: boolean, uncounted: boolean, checkedOut: number, info: { name: string, issued: number | null, used: number | null, free: number | null }, checkouts: Array<{ username: string, hostname: string, startTime: string, serverInfo: string | null }>, server: { id: string } }> } };

export type ClientFeatureUsageChangedSubscriptionVariables = Exact<{
  features?: Array<string> | string | null | undefined;
  servers?: Array<string> | string | null | undefined;
}>;


export type ClientFeatureUsageChangedSubscription = { featureUsageChanged: { serverId: string, feature: string, vendor: string | null, usedDelta: number | null, at: string, previous: { issued: number | null, used: number | null, free: number | null } | null, current: { issued: number | null, used: number | null, free: number | null } | null } };

export type ClientCheckoutEventsSubscriptionVariables = Exact<{
  features?: Array<string> | string | null | undefined;
  users?: Array<string> | string | null | undefined;
  servers?: Array<string> | string | null | undefined;
}>;


export type ClientCheckoutEventsSubscription = { checkoutEvents: { type: CheckoutEventType, serverId: string, feature: string, at: string, checkout: { username: string, hostname: string, display: string | null, handle: string | null, startTime: string, startedAt: string | null, count: number, serverInfo: string | null } } };

export type ClientLicenseAlertsSubscriptionVariables = Exact<{
  features?: Array<string> | string | null | undefined;
  servers?: Array<string> | string | null | undefined;
}>;


export type ClientLicenseAlertsSubscription = { licenseAlerts: { id: string, status: AlertStatus, serverId: string, feature: string | null, daemon: string | null, message: string, value: number | null, at: string, rule: { id: string, kind: AlertKind, feature: string | null, server: string | null, threshold: number | null, source: AlertRuleSource } } };

export type ClientUsageQueryVariables = Exact<{
  groupBy: Array<UsageDimension> | UsageDimension;
  filter?: UsageFilter | null | undefined;
  bucket?: TimeBucket | null | undefined;
  timeZone?: string | null | undefined;
}>;


export type ClientUsageQuery = { usage: Array<{ server: string | null, feature: string | null, version: string | null, user: string | null, host: string | null, bucketStart: string | null, sessions: number, licenseSeconds: number, licenseHours: number, peakInUse: number | null, averageInUse: number | null, distinctUsers: number, firstSeen: string | null, lastSeen: string | null }> };


export const ClientLicenseReportDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ClientLicenseReport"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ReportFilter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"licenseReport"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"valid"}},{"kind":"Field","name":{"kind":"Name","value":"stale"}},{"kind":"Field","name":{"kind":"Name","value":"fetchedAt"}},{"kind":"Field","name":{"kind":"Name","value":"summaryByFeature"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"info"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"issued"}},{"kind":"Field","name":{"kind":"Name","value":"used"}},{"kind":"Field","name":{"kind":"Name","value":"free"}}]}},{"kind":"Field","name":{"kind":"Name","value":"checkouts"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"hostname"}},{"kind":"Field","name":{"kind":"Name","value":"startTime"}},{"kind":"Field","name":{"kind":"Name","value":"serverInfo"}}]}},{"kind":"Field","name":{"kind":"Name","value":"valid"}},{"kind":"Field","name":{"kind":"Name","value":"uncounted"}},{"kind":"Field","name":{"kind":"Name","value":"checkedOut"}},{"kind":"Field","name":{"kind":"Name","value":"server"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ClientLicenseReportQuery, ClientLicenseReportQueryVariables>;
export const ClientFeatureUsageChangedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ClientFeatureUsageChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"features"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"servers"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"featureUsageChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"features"},"value":{"kind":"Variable","name":{"kind":"Name","value":"features"}}},{"kind":"Argument","name":{"kind":"Name","value":"servers"},"value":{"kind":"Variable","name":{"kind":"Name","value":"servers"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"feature"}},{"kind":"Field","name":{"kind":"Name","value":"vendor"}},{"kind":"Field","name":{"kind":"Name","value":"usedDelta"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"previous"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"issued"}},{"kind":"Field","name":{"kind":"Name","value":"used"}},{"kind":"Field","name":{"kind":"Name","value":"free"}}]}},{"kind":"Field","name":{"kind":"Name","value":"current"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"issued"}},{"kind":"Field","name":{"kind":"Name","value":"used"}},{"kind":"Field","name":{"kind":"Name","value":"free"}}]}}]}}]}}]} as unknown as DocumentNode<ClientFeatureUsageChangedSubscription, ClientFeatureUsageChangedSubscriptionVariables>;
export const ClientCheckoutEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ClientCheckoutEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"features"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"users"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"servers"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"checkoutEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"features"},"value":{"kind":"Variable","name":{"kind":"Name","value":"features"}}},{"kind":"Argument","name":{"kind":"Name","value":"users"},"value":{"kind":"Variable","name":{"kind":"Name","value":"users"}}},{"kind":"Argument","name":{"kind":"Name","value":"servers"},"value":{"kind":"Variable","name":{"kind":"Name","value":"servers"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"feature"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"checkout"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"hostname"}},{"kind":"Field","name":{"kind":"Name","value":"display"}},{"kind":"Field","name":{"kind":"Name","value":"handle"}},{"kind":"Field","name":{"kind":"Name","value":"startTime"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"serverInfo"}}]}}]}}]}}]} as unknown as DocumentNode<ClientCheckoutEventsSubscription, ClientCheckoutEventsSubscriptionVariables>;
export const ClientLicenseAlertsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ClientLicenseAlerts"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"features"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"servers"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"licenseAlerts"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"features"},"value":{"kind":"Variable","name":{"kind":"Name","value":"features"}}},{"kind":"Argument","name":{"kind":"Name","value":"servers"},"value":{"kind":"Variable","name":{"kind":"Name","value":"servers"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"serverId"}},{"kind":"Field","name":{"kind":"Name","value":"feature"}},{"kind":"Field","name":{"kind":"Name","value":"daemon"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"rule"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"feature"}},{"kind":"Field","name":{"kind":"Name","value":"server"}},{"kind":"Field","name":{"kind":"Name","value":"threshold"}},{"kind":"Field","name":{"kind":"Name","value":"source"}}]}}]}}]}}]} as unknown as DocumentNode<ClientLicenseAlertsSubscription, ClientLicenseAlertsSubscriptionVariables>;
export const ClientUsageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ClientUsage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"groupBy"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UsageDimension"}}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"UsageFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"bucket"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"TimeBucket"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"timeZone"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"usage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"groupBy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"groupBy"}}},{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"bucket"},"value":{"kind":"Variable","name":{"kind":"Name","value":"bucket"}}},{"kind":"Argument","name":{"kind":"Name","value":"timeZone"},"value":{"kind":"Variable","name":{"kind":"Name","value":"timeZone"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"server"}},{"kind":"Field","name":{"kind":"Name","value":"feature"}},{"kind":"Field","name":{"kind":"Name","value":"version"}},{"kind":"Field","name":{"kind":"Name","value":"user"}},{"kind":"Field","name":{"kind":"Name","value":"host"}},{"kind":"Field","name":{"kind":"Name","value":"bucketStart"}},{"kind":"Field","name":{"kind":"Name","value":"sessions"}},{"kind":"Field","name":{"kind":"Name","value":"licenseSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"licenseHours"}},{"kind":"Field","name":{"kind":"Name","value":"peakInUse"}},{"kind":"Field","name":{"kind":"Name","value":"averageInUse"}},{"kind":"Field","name":{"kind":"Name","value":"distinctUsers"}},{"kind":"Field","name":{"kind":"Name","value":"firstSeen"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeen"}}]}}]}}]} as unknown as DocumentNode<ClientUsageQuery, ClientUsageQueryVariables>;