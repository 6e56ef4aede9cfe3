/** Paths of the dashboard; records are addressed by query string so the static export can serve them. */
export const routes = {
  home: "/workflows",
  login: "/login",
  signup: "/signup",
  acceptInvite: (token?: string) => (token ? `/invite#token=${encodeURIComponent(token)}` : "/invite"),
  workflows: "/workflows",
  workflow: (id: string) => `/workflows/edit?id=${encodeURIComponent(id)}`,
  executions: (
    filters: { workflowId?: string; status?: string; contactId?: string; nodeId?: string; nodeStatus?: string; handle?: string; from?: string; to?: string } = {},
  ) => {
    const q = new URLSearchParams(Object.entries(filters).filter(([, v]) => v) as [string, string][]).toString();
    return q ? `/executions?${q}` : "/executions";
  },
  /** Workspace analytics; a workflow filter narrows them to one workflow. */
  analytics: (filters: { workflowId?: string } = {}) => (filters.workflowId ? `/analytics?workflowId=${encodeURIComponent(filters.workflowId)}` : "/analytics"),
  /** One workflow's funnel, splits and goal conversion. */
  workflowAnalytics: (id: string) => `/workflows/analytics?id=${encodeURIComponent(id)}`,
  execution: (id: string) => `/executions/view?id=${encodeURIComponent(id)}`,
  contacts: "/contacts",
  contact: (id: string) => `/contacts/view?id=${encodeURIComponent(id)}`,
  events: (filters: { name?: string } = {}) => (filters.name ? `/events?name=${encodeURIComponent(filters.name)}` : "/events"),
  segments: "/segments",
  segment: (id: string) => `/segments/view?id=${encodeURIComponent(id)}`,
  /** The segment editor: a new segment without an ID. */
  segmentEdit: (id?: string) => (id ? `/segments/edit?id=${encodeURIComponent(id)}` : "/segments/edit"),
  broadcasts: "/broadcasts",
  broadcast: (id: string) => `/broadcasts/view?id=${encodeURIComponent(id)}`,
  schedules: "/schedules",
  channels: "/channels",
  members: "/settings/members",
  apiKeys: "/settings/api-keys",
  credentials: "/settings/credentials",
  ai: "/settings/ai",
  workspace: "/settings/workspace",
  auditLog: "/settings/audit-log",
} as const;
