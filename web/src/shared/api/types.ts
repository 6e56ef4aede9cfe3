import type { components } from "./schema";

/**
 * Types of the API's JSON bodies. Each one is the generated schema from
 * api/openapi.json when the document has it, and otherwise the shape
 * DESIGN.md promises (the "gap" fallback, listed in web/README.md), so
 * pages keep compiling while the Go API grows and switch to the generated
 * type on `npm run generate`.
 */
type Schemas = [components["schemas"]] extends [never] ? Record<never, never> : components["schemas"];
type Generated<Name extends string, Fallback> = Name extends keyof Schemas ? Schemas[Name] : Fallback;
type S = components["schemas"];

export type Plan = "FREE" | "PRO" | "BIZ";
export type Role = "OWNER" | "ADMIN" | "OPERATOR" | "VIEWER";
export const ROLES: Role[] = ["OWNER", "ADMIN", "OPERATOR", "VIEWER"];

export type User = S["UserDTO"];
export type Tenant = S["TenantDTO"];
export type Membership = S["MembershipDTO"];
export type Me = S["MeDTO"];

export type Position = S["Position"];
export type DefinitionNode = S["Node"];
export type DefinitionEdge = S["Edge"];
export type Definition = S["Definition"];

export type Workflow = S["WorkflowDTO"];
export type WorkflowVersion = S["VersionDTO"];
export type Handle = S["HandleDTO"];
export type NodeType = S["NodeTypeDTO"];
export type ValidationProblem = S["ProblemDTO"];

export type ExecutionStatus = "PENDING" | "RUNNING" | "WAITING" | "COMPLETED" | "FAILED" | "CANCELLED";
export const EXECUTION_STATUSES: ExecutionStatus[] = ["PENDING", "RUNNING", "WAITING", "COMPLETED", "FAILED", "CANCELLED"];

export type ExecutionStep = S["StepDTO"];
export type Execution = S["ExecutionDTO"];
/** Step visits of one node by status, for the canvas overlay. */
export type NodeStats = Record<string, number>;
export type WorkflowStats = S["WorkflowStatsDTO"];
export type LiveEventBody = S["Event"];

export type Schedule = S["ScheduleDTO"];
export type Member = S["MemberDTO"];
export type Invitation = S["InvitationDTO"];
export type CreatedInvitation = S["InvitationCreatedDTO"];
export type ApiKey = S["APIKeyDTO"];
export type CreatedApiKey = S["APIKeyCreatedDTO"];
export type AuditEntry = S["AuditEntryDTO"];

// ---- Gap types: routes in DESIGN.md that the document does not list yet. ----

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
export type Channel = Generated<"ChannelDTO", { id: string; type: string; name: string; status?: string; createdAt: string }>;
/** The workspace's usage this month against its plan (GET /usage). */
export type Usage = S["UsageDTO"];
export type UsageItem = S["UsageItemDTO"];
/** One plan's limits (GET /plans); -1 is unlimited. */
export type PlanLimits = S["PlanDTO"];

/** A cursor-paginated list. */
export interface Page<T> {
  items: T[] | null;
  nextCursor?: string;
}

/** A workspace credential: name and metadata only; its value is write-only. */
export type Credential = S["CredentialDTO"];
export type AISettings = S["AISettingsDTO"];
export type AISettingsUpdate = S["AISettingsUpdateDTO"];
export type AIUsage = S["AIUsageDTO"];
export type AIWorkflowDraft = S["AIWorkflowDraftDTO"];
export type CredentialKind = "generic" | "http_header" | "webhook_secret";
