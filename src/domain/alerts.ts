/**
 * Alert rules, the one definition: the kinds a rule can watch (the GraphQL enum, the store's CHECK constraint and the
 * config loader derive from ALERT_KINDS), a rule as the config file states it, and the check of a rule's arguments
 * that the config loader and the createAlertRule mutation share. Pure: no I/O.
 */

export const ALERT_KINDS = [
  'FREE_BELOW',
  'FREE_PERCENT_BELOW',
  'EXPIRES_WITHIN_DAYS',
  'SERVER_DOWN',
  'DAEMON_DOWN',
  'QUEUE_NONEMPTY',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** What each kind watches (threshold meaning); shown in the GraphQL schema. */
export const ALERT_KIND_DESCRIPTIONS: Record<AlertKind, string> = {
  FREE_BELOW: 'Free licenses of a feature below threshold N.',
  FREE_PERCENT_BELOW: 'Free licenses below threshold P percent of issued.',
  EXPIRES_WITHIN_DAYS: "The feature's earliest pool expires within threshold D days (or has expired).",
  SERVER_DOWN: 'The license server is DOWN or cannot be read (no feature, no threshold).',
  DAEMON_DOWN: 'A vendor daemon is DOWN; `feature` selects daemons by name or glob (no threshold).',
  QUEUE_NONEMPTY: 'More than threshold N (default 0) licenses of a feature are queued.',
};

export type AlertStatus = 'FIRING' | 'RESOLVED';

/** One entry of the config file's `alerts:` list. */
export interface AlertRuleConfig {
  kind: AlertKind;
  feature?: string | null;
  server?: string | null;
  threshold?: number | null;
}

/**
 * Checks a rule's arguments; returns [field, problem] or null. Shared by the config loader and the mutation.
 * `serverIds`: the configured servers (an unknown server is refused).
 */
export function checkAlertRule(input: AlertRuleConfig, serverIds: readonly string[]): [string, string] | null {
  const { kind } = input;
  if (!ALERT_KINDS.includes(kind)) return ['kind', `must be one of ${ALERT_KINDS.join(', ')}`];
  const t = input.threshold ?? null;
  const feature = input.feature ?? null;
  const server = input.server ?? null;
  if (feature !== null && (typeof feature !== 'string' || feature.length < 1 || feature.length > 128))
    return ['feature', 'must be a name or glob of 1 to 128 characters'];
  if (server !== null && (typeof server !== 'string' || !serverIds.includes(server)))
    return ['server', `unknown server id${typeof server === 'string' ? ` "${server.slice(0, 64)}"` : ''}`];
  if (t !== null && (typeof t !== 'number' || !Number.isFinite(t))) return ['threshold', 'must be a number'];
  switch (kind) {
    case 'FREE_BELOW':
      if (t === null || !Number.isInteger(t) || t < 1 || t > 1e9)
        return ['threshold', 'FREE_BELOW needs a whole number of licenses from 1 (fires when free < threshold)'];
      break;
    case 'FREE_PERCENT_BELOW':
      if (t === null || t <= 0 || t > 100)
        return ['threshold', 'FREE_PERCENT_BELOW needs a percentage above 0 and at most 100'];
      break;
    case 'EXPIRES_WITHIN_DAYS':
      if (t === null || !Number.isInteger(t) || t < 0 || t > 3650)
        return ['threshold', 'EXPIRES_WITHIN_DAYS needs a whole number of days from 0 to 3650'];
      break;
    case 'QUEUE_NONEMPTY':
      if (t !== null && (!Number.isInteger(t) || t < 0 || t > 1e9))
        return ['threshold', 'QUEUE_NONEMPTY takes an optional whole number of queued licenses (default 0)'];
      break;
    case 'SERVER_DOWN':
      if (t !== null) return ['threshold', 'SERVER_DOWN takes no threshold'];
      if (feature !== null) return ['feature', 'SERVER_DOWN takes no feature'];
      break;
    case 'DAEMON_DOWN':
      if (t !== null) return ['threshold', 'DAEMON_DOWN takes no threshold'];
      break;
  }
  return null;
}
