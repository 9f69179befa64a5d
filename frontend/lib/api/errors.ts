import type { ErrorBody, ErrorDetail } from "./types";

/** A failed API call: HTTP status, the API's machine code, a message for people. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  /** Seconds to wait, from Retry-After (429). */
  readonly retryAfter: number | null;

  constructor(
    status: number,
    code: string,
    message: string,
    details: ErrorDetail[] = [],
    retryAfter: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }

  /** Problems that name a form field, keyed by field name. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const d of this.details) {
      if (d.field && !(d.field in out)) out[d.field] = d.problem;
    }
    return out;
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const err = (value as { error: unknown }).error;
  return typeof err === "object" && err !== null && "message" in err;
}

const FALLBACK: Record<number, string> = {
  401: "Sign in to do this",
  404: "Not found",
  413: "The file is larger than the server accepts",
  502: "The server is not answering; try again in a moment",
  503: "The service is temporarily unavailable; try again in a moment",
  504: "The server took too long to answer; try again",
};

/** Build an ApiError from a status, the raw body text and the Retry-After header. */
export function toApiError(status: number, text: string, retryAfter: string | null): ApiError {
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  const retry = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null;
  if (isErrorBody(parsed)) {
    const { code, message, details } = parsed.error;
    return new ApiError(status, code ?? "error", message, details ?? [], retry);
  }
  const message = FALLBACK[status] ?? `Request failed (HTTP ${status})`;
  return new ApiError(status, status === 413 ? "payload_too_large" : "http_error", message, [], retry);
}

/** A message for any thrown value. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return "Something went wrong";
}
