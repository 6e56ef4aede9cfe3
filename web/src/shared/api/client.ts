import createClient from "openapi-fetch";
import type { paths } from "./schema";

/** One field-level error of a problem document (RFC 9457 as huma writes it). */
export interface ProblemFieldError {
  message: string;
  location?: string;
  value?: unknown;
}

/** RFC 9457 problem details. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}

/** ApiError is thrown for every non-2xx answer; it carries the problem document. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.name = "ApiError";
    this.status = problem.status;
    this.problem = problem;
  }

  /** The message of the first field error at a location ending with `field`, if any. */
  fieldError(field: string): string | undefined {
    return this.problem.errors?.find((e) => e.location === field || e.location?.endsWith(`.${field}`))?.message;
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

/** Whether a list route is simply not offered by this server (yet): 404/405/501 on the route itself. */
export function isMissingRoute(err: unknown): boolean {
  return isApiError(err) && (err.status === 404 || err.status === 405 || err.status === 501);
}

/** A human sentence for any error thrown by a request. */
export function errorMessage(err: unknown): string {
  if (isApiError(err)) {
    const head = err.problem.detail || err.problem.title;
    // Field messages the headline already says are not repeated.
    const fields = [...new Set(err.problem.errors?.map((e) => e.message).filter(Boolean) ?? [])].filter((m) => !head.includes(m));
    return fields.length > 0 ? `${head}: ${fields.join("; ")}` : head;
  }
  if (err instanceof TypeError) return "Cannot reach the NextFlow server. Check your connection and try again.";
  if (err instanceof Error) return err.message;
  return "Something went wrong.";
}

/**
 * The generated client: same origin, session cookie included. Writes are
 * CSRF-checked by the server through the Origin header, which the browser
 * sets on same-origin fetches.
 */
export const client = createClient<paths>({
  baseUrl: "",
  credentials: "include",
  headers: { Accept: "application/json" },
});

/**
 * unwrap turns an openapi-fetch answer into its typed body, or throws
 * ApiError with the problem document for any non-2xx status.
 */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(await toProblem(response, error));
  return data as T;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RequestOptions {
  /** Arrays are sent exploded (attr=a&attr=b); empty values are left out. */
  query?: Record<string, string | number | boolean | string[] | undefined | null>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

async function toProblem(res: Response, data: unknown): Promise<Problem> {
  if (data && typeof data === "object" && "status" in data) return data as Problem;
  return { title: res.statusText || "Request failed", status: res.status };
}

/**
 * request calls a route that the OpenAPI document does not list yet
 * (contacts, channels, usage): same client, same errors, loosely typed.
 * Everything the document lists goes through `client` + `unwrap` instead.
 */
export async function request<T>(
  method: Method,
  url: string,
  opts: RequestOptions & { path?: Record<string, string> } = {},
): Promise<T> {
  const query = opts.query
    ? Object.fromEntries(Object.entries(opts.query).filter(([, v]) => v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0)))
    : undefined;
  // The generated `paths` type is the source of truth once the document
  // lists a route; routes still missing from it are called loosely.
  const call = (client as unknown as Record<Method, (u: string, init: unknown) => Promise<{
    data?: unknown;
    error?: unknown;
    response: Response;
  }>>)[method];
  const { data, error, response } = await call(url, {
    params: { path: opts.path, query },
    body: opts.body,
    headers: opts.headers,
    signal: opts.signal,
  });
  if (!response.ok) throw new ApiError(await toProblem(response, error));
  return data as T;
}
