/**
 * The Foretify Manager Python SDK's text format for a license report ("Python SDK for License Usage Report"):
 *
 *   FTX_DEVELOPER: 25/100 in use (75 free)
 *    - john.doe@workstation-123 since Mon 1/20 10:30
 *    - jane.smith@dev-machine since Mon 1/20 11:45
 *   shared_runtime_pool: 0/10000 in use (10000 free)
 *
 * One line per feature, then one line per checkout starting with " - " (one space, a dash, a space), exactly as the
 * SDK's print() calls produce them. Where that SDK would print Python's "None" (a feature the server reports as
 * uncounted, or whose counts it could not report) the line says so instead: "TMW_Archive: 1 in use (uncounted)",
 * "X: counts not reported".
 */
export interface FormattableReport {
  summaryByFeature: ReadonlyArray<{
    info: { name: string; issued: number | null; used: number | null; free: number | null };
    checkouts: ReadonlyArray<{ username: string; hostname: string; startTime: string }>;
    uncounted?: boolean | null;
    checkedOut?: number | null;
  }>;
}

export function formatFeatureLine(f: FormattableReport['summaryByFeature'][number]): string {
  const { name, issued, used, free } = f.info;
  if (issued !== null && used !== null && free !== null) return `${name}: ${used}/${issued} in use (${free} free)`;
  if (f.uncounted) return `${name}: ${used ?? f.checkedOut ?? f.checkouts.length} in use (uncounted)`;
  return `${name}: counts not reported`;
}

export function formatReport(report: FormattableReport): string[] {
  const lines: string[] = [];
  for (const f of report.summaryByFeature) {
    lines.push(formatFeatureLine(f));
    for (const c of f.checkouts) lines.push(` - ${c.username}@${c.hostname} since ${c.startTime}`);
  }
  return lines;
}
