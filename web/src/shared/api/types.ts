import type { components } from "./schema";

/**
 * Types of the API's JSON bodies. Each one is the generated schema from
 * api/openapi.json when the document has it, and otherwise the shape
 * DESIGN.md promises (the "gap" fallback), so pages keep compiling while the
 * Go API grows and switch to the generated type on `npm run generate`.
 */
type Schemas = [components["schemas"]] extends [never] ? Record<never, never> : components["schemas"];
type Generated<Name extends string, Fallback> = Name extends keyof Schemas ? Schemas[Name] : Fallback;

export type Plan = "FREE" | "PRO" | "BIZ";
export type Role = "OWNER" | "ADMIN" | "OPERATOR" | "VIEWER";
export const ROLES: Role[] = ["OWNER", "ADMIN", "OPERATOR", "VIEWER"];

export type User = Generated<"UserDTO", { id: string; email: string; name: string; createdAt?: string }>;
export type Tenant = Generated<"TenantDTO", { id: string; name: string; slug: string; plan: Plan | string }>;
export type Membership = Generated<"MembershipDTO", { tenant: Tenant; role: Role | string }>;
export type Me = Generated<"MeDTO", { user: User; memberships: Membership[] | null; activeTenant: Tenant | null }>;

export interface Position {
  x: number;
  y: number;
}
export type DefinitionNode = Generated<
  "Node",
  { id: string; type: string; config?: Record<string, unknown> | null; position?: Position; name?: string }
>;
export type DefinitionEdge = Generated<"Edge", { id: string; source: string; sourceHandle?: string; target: string }>;
export type Definition = Generated<"Definition", { nodes: DefinitionNode[] | null; edges: DefinitionEdge[] | null }>;

export type Workflow = Generated<
  "WorkflowDTO",
  {
    id: string;
    name: string;
    description: string;
    definition?: Definition;
    revision: number;
    isActive: boolean;
    currentVersion: number;
    currentVersionId?: string;
    createdAt: string;
    updatedAt: string;
  }
>;
export type WorkflowVersion = Generated<
  "VersionDTO",
  { id: string; version: number; definition?: Definition; createdAt: string; createdBy?: string }
>;
export type Handle = Generated<"HandleDTO", { id: string; label: string }>;
export type NodeType = Generated<
  "NodeTypeDTO",
  {
    type: string;
    category: string;
    label: string;
    description: string;
    configSchema: unknown;
    inputs: number;
    outputs: Handle[] | null;
    dynamicOutputs?: boolean;
    canFail: boolean;
    pure?: boolean;
    waits?: boolean;
  }
>;
export type ValidationProblem = Generated<
  "ProblemDTO",
  { code: string; message: string; nodeId?: string; edgeId?: string; path?: string }
>;

export type ExecutionStatus = "PENDING" | "RUNNING" | "WAITING" | "COMPLETED" | "FAILED" | "CANCELLED";
export const EXECUTION_STATUSES: ExecutionStatus[] = ["PENDING", "RUNNING", "WAITING", "COMPLETED", "FAILED", "CANCELLED"];

export type ExecutionStep = Generated<
  "StepDTO",
  {
    id: string;
    nodeId: string;
    nodeType: string;
    status: string;
    attempt: number;
    input?: unknown;
    output?: unknown;
    error?: string;
    startedAt?: string;
    finishedAt?: string;
  }
>;
export type Execution = Generated<
  "ExecutionDTO",
  {
    id: string;
    workflowId: string;
    workflowName?: string;
    version: number;
    status: ExecutionStatus | string;
    contactId?: string;
    input?: unknown;
    error?: string;
    createdAt: string;
    startedAt?: string;
    finishedAt?: string;
    steps?: ExecutionStep[] | null;
  }
>;
export type NodeStats = { completed?: number; failed?: number; running?: number; waiting?: number; total?: number };
export type WorkflowStats = Generated<"WorkflowStatsDTO", { nodes: Record<string, NodeStats> | null }>;

export type Schedule = Generated<
  "ScheduleDTO",
  {
    id: string;
    workflowId: string;
    nodeId: string;
    cron: string;
    timezone: string;
    missedRuns: string;
    isActive: boolean;
    lastRunAt?: string;
    nextRunAt?: string;
    nextRuns: string[] | null;
    createdAt: string;
    updatedAt: string;
  }
>;
export type Contact = Generated<
  "ContactDTO",
  {
    id: string;
    externalId?: string;
    email?: string;
    phone?: string;
    messengerPsid?: string;
    timezone?: string;
    attributes?: Record<string, unknown> | null;
    createdAt: string;
    updatedAt?: string;
  }
>;
export type ContactEvent = Generated<
  "EventDTO",
  { id: string; name: string; properties?: Record<string, unknown> | null; occurredAt?: string; createdAt: string }
>;
export type Channel = Generated<
  "ChannelDTO",
  { id: string; type: string; name: string; status?: string; createdAt: string }
>;
export type Member = Generated<
  "MemberDTO",
  { userId: string; email: string; name: string; role: Role | string; createdAt?: string }
>;
export type Invitation = Generated<
  "InvitationDTO",
  { id: string; email: string; role: Role | string; expiresAt?: string; createdAt: string; token?: string; url?: string }
>;
export type ApiKey = Generated<
  "APIKeyDTO",
  { id: string; name: string; prefix?: string; createdAt: string; lastUsedAt?: string; expiresAt?: string }
>;
export type CreatedApiKey = Generated<"CreatedAPIKeyDTO", ApiKey & { secret: string }>;
export type AuditEntry = Generated<
  "AuditEntryDTO",
  { id: string; action: string; actorId?: string; actorEmail?: string; targetType?: string; targetId?: string; createdAt: string }
>;
export type Usage = Generated<
  "UsageDTO",
  { plan?: string; executions?: number; executionsLimit?: number; messages?: number; messagesLimit?: number; periodStart?: string }
>;

/** A cursor-paginated list. */
export interface Page<T> {
  items: T[] | null;
  nextCursor?: string;
}
