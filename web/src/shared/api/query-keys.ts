/**
 * Every TanStack Query key of the dashboard, in one place, so that
 * invalidations after a write or a live event name exactly what they mean.
 */
export const queryKeys = {
  me: ["auth", "me"] as const,
  nodeTypes: ["node-types"] as const,
  workflows: {
    all: ["workflows"] as const,
    list: (filters: Record<string, unknown> = {}) => ["workflows", "list", filters] as const,
    detail: (id: string) => ["workflows", "detail", id] as const,
    versions: (id: string) => ["workflows", "versions", id] as const,
    stats: (id: string) => ["workflows", "stats", id] as const,
  },
  executions: {
    all: ["executions"] as const,
    list: (filters: Record<string, unknown> = {}) => ["executions", "list", filters] as const,
    detail: (id: string) => ["executions", "detail", id] as const,
  },
  schedules: { all: ["schedules"] as const, list: (f: Record<string, unknown> = {}) => ["schedules", "list", f] as const },
  contacts: {
    all: ["contacts"] as const,
    list: (f: Record<string, unknown> = {}) => ["contacts", "list", f] as const,
    detail: (id: string) => ["contacts", "detail", id] as const,
    events: (id: string) => ["contacts", "events", id] as const,
    timeline: (id: string) => ["contacts", "timeline", id] as const,
  },
  contactImports: {
    all: ["contact-imports"] as const,
    detail: (id: string) => ["contact-imports", "detail", id] as const,
    errors: (id: string) => ["contact-imports", "errors", id] as const,
  },
  events: {
    all: ["events"] as const,
    list: (f: Record<string, unknown> = {}) => ["events", "list", f] as const,
    names: ["events", "names"] as const,
  },
  segments: {
    all: ["segments"] as const,
    list: ["segments", "list"] as const,
    detail: (id: string) => ["segments", "detail", id] as const,
    /** The live count of an unsaved definition, keyed by its JSON. */
    preview: (definition: string) => ["segments", "preview", definition] as const,
    members: (id: string) => ["segments", "members", id] as const,
  },
  broadcasts: {
    all: ["broadcasts"] as const,
    list: ["broadcasts", "list"] as const,
    detail: (id: string) => ["broadcasts", "detail", id] as const,
  },
  channels: { all: ["channels"] as const },
  suppressions: { all: ["suppressions"] as const, list: (f: Record<string, unknown> = {}) => ["suppressions", "list", f] as const },
  members: { all: ["members"] as const },
  invitations: { all: ["invitations"] as const },
  apiKeys: { all: ["api-keys"] as const },
  credentials: { all: ["credentials"] as const },
  ai: { all: ["ai"] as const, settings: ["ai", "settings"] as const, usage: ["ai", "usage"] as const },
  auditLog: { all: ["audit-log"] as const, list: (f: Record<string, unknown> = {}) => ["audit-log", "list", f] as const },
  analytics: {
    all: ["analytics"] as const,
    executions: (f: Record<string, unknown>) => ["analytics", "executions", f] as const,
    messages: (f: Record<string, unknown>) => ["analytics", "messages", f] as const,
    splits: (workflowId: string, f: Record<string, unknown>) => ["analytics", "splits", workflowId, f] as const,
    conversion: (workflowId: string, f: Record<string, unknown>) => ["analytics", "conversion", workflowId, f] as const,
  },
  usage: ["usage"] as const,
  plans: ["plans"] as const,
} as const;
