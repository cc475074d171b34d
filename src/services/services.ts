import type { Logger } from 'pino';
import type { AppConfig } from '../config/types';
import type { Store } from '../store';
import type { AlertsService } from './alerts.service';
import type { AuthService } from './auth.service';
import type { DeploymentReportService } from './deployment-report.service';
import type { RequestCounter } from './request-counter';
import type { EventsService } from './events';
import type { HistoryService } from './history.service';
import type { Poller } from './poller';
import type { UsageService } from './usage.service';
import type { SnapshotService } from './snapshot.service';

/** Everything resolvers, REST routes and the CLI call into. Built once per app by buildApp(). */
export interface Services {
  config: AppConfig;
  logger: Logger;
  snapshots: SnapshotService;
  store: Store;
  auth: AuthService;
  /** The exportable deployment report; set by buildApp. */
  deploymentReports?: DeploymentReportService;
  /** Requests served per month; set by buildApp once the HTTP app exists. */
  requests?: RequestCounter;
  /** Live events (snapshot diffs, alerts) and the subscription bus. */
  events: EventsService;
  alerts: AlertsService;
  /** Usage history: records polls and pushes (ingest). */
  history: HistoryService;
  /** Usage queries (GraphQL usage/resourceUsage/Feature.history, REST /api/v1/license-service). */
  usage: UsageService;
  /** Polls every server each pollIntervalSeconds into the history (one replica per server on PostgreSQL). */
  poller: Poller;
}
