export { client, request, unwrap, ApiError, isApiError, isMissingRoute, errorMessage } from "./client";
export type { Problem, ProblemFieldError, RequestOptions } from "./client";
export { queryKeys } from "./query-keys";
export { subscribeLive, LIVE_SILENCE_MS } from "./live";
export type { LiveEvent, LiveStatus } from "./live";
export * from "./types";
export type { Generated } from "./generated";
