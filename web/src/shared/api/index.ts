export { client, request, unwrap, ApiError, isApiError, isMissingRoute, errorMessage } from "./client";
export type { Problem, ProblemFieldError, RequestOptions } from "./client";
export { queryKeys } from "./query-keys";
export { subscribeLive } from "./live";
export type { LiveEvent } from "./live";
export * from "./types";
