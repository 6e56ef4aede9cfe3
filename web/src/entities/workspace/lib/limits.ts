/** What each plan limit is called on screen, by its API name. */
const labels: Record<string, string> = {
  activeWorkflows: "Active workflows",
  workflows: "Workflows",
  executionsPerMonth: "Executions this month",
  contacts: "Contacts",
  messagesPerMonth: "Messages this month",
  members: "Members and open invitations",
  aiTokensPerMonth: "AI tokens this month",
  minScheduleInterval: "Schedule interval",
  apiRequestsPerSecond: "API requests per second",
};

export function limitLabel(limit: string): string {
  return labels[limit] ?? limit;
}

/** A limit's value for display: -1 is unlimited. */
export function formatLimit(value: number): string {
  return value < 0 ? "Unlimited" : value.toLocaleString("en");
}

/** The share of a limit used, 0–100 (0 when unlimited). */
export function usageShare(used: number, value: number): number {
  if (value < 0) return 0;
  if (value === 0) return used > 0 ? 100 : 0;
  return Math.min(100, Math.round((used / value) * 100));
}
