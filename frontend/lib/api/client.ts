// The one typed client of the Model Hub API. Same origin, cookie auth (never a stored token).
// Paths, queries, bodies and results are checked against the generated schema.
import { ApiError, toApiError } from "./errors";
import type { paths } from "./schema";
import type {
  Build,
  Demo,
  FileList,
  LoginRequest,
  LoginResult,
  ProjectDetail,
  ProjectPage,
  ProjectQuery,
  RegisterRequest,
  UploadFields,
  UploadResult,
  User,
} from "./types";

type Method = "get" | "post" | "delete";
type Path = keyof paths;
type Op<P extends Path, M extends Method> = NonNullable<paths[P][M]>;
type Json<R, S extends number> = R extends { [K in S]: { content: { "application/json": infer T } } }
  ? T
  : never;
/** The JSON body of the 2xx answer of an operation (void for 204). */
type Ok<O> = O extends { responses: infer R }
  ? R extends { 204: unknown }
    ? void
    : Json<R, 200> | Json<R, 201> | Json<R, 202>
  : never;
type PathParams<P extends string> = P extends `${string}{${infer K}}${infer Rest}`
  ? { [key in K]: string } & PathParams<Rest>
  : unknown;

type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? Q : never;
type BodyOf<O> = O extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
type Query = Record<string, string | number | boolean | null | undefined>;

interface Options<P extends Path, M extends Method> {
  params?: PathParams<P>;
  query?: QueryOf<Op<P, M>>;
  body?: BodyOf<Op<P, M>>;
  signal?: AbortSignal;
}

/** `/api/projects/{project_id}` with `{project_id: "x"}` → `/api/projects/x`. */
export function urlOf<P extends Path>(
  path: P,
  params?: PathParams<P>,
  query?: Query,
): string {
  const values = (params ?? {}) as Record<string, string>;
  let url = (path as string).replace(/\{(\w+)\}/g, (_, key: string) =>
    encodeURIComponent(values[key] ?? ""),
  );
  if (query) {
    const qs = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") qs.set(key, String(value));
    }
    const s = qs.toString();
    if (s) url += `?${s}`;
  }
  return url;
}

async function call<P extends Path, M extends Method>(
  method: M,
  path: P,
  opts: Options<P, M> = {},
): Promise<Ok<Op<P, M>>> {
  const init: RequestInit = {
    method: method.toUpperCase(),
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    signal: opts.signal,
  };
  if (opts.body !== undefined) {
    init.body = JSON.stringify(opts.body);
    init.headers = { ...init.headers, "Content-Type": "application/json" };
  }
  let res: Response;
  try {
    res = await fetch(urlOf(path, opts.params, opts.query as Query | undefined), init);
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, "network_error", "Cannot reach the server; check your connection");
  }
  const text = await res.text();
  if (!res.ok) throw toApiError(res.status, text, res.headers.get("Retry-After"));
  return (text ? JSON.parse(text) : undefined) as Ok<Op<P, M>>;
}

// --- auth ---------------------------------------------------------------------------------

export function register(body: RegisterRequest): Promise<User> {
  return call("post", "/api/auth/register", { body });
}

export function login(body: LoginRequest): Promise<LoginResult> {
  return call("post", "/api/auth/login", { body });
}

/** The signed-in user, or null when nobody is signed in. */
export async function currentUser(signal?: AbortSignal): Promise<User | null> {
  try {
    return await call("get", "/api/auth/me", { signal });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export async function logout(): Promise<void> {
  await call("post", "/api/auth/logout");
}

// --- projects -----------------------------------------------------------------------------

export function listProjects(query: ProjectQuery, signal?: AbortSignal): Promise<ProjectPage> {
  return call("get", "/api/projects", { query, signal });
}

export function myProjects(signal?: AbortSignal): Promise<ProjectPage> {
  return call("get", "/api/projects/my-projects", { query: { limit: 100 }, signal });
}

export function getProject(id: string, signal?: AbortSignal): Promise<ProjectDetail> {
  return call("get", "/api/projects/{project_id}", { params: { project_id: id }, signal });
}

export function listFiles(id: string, signal?: AbortSignal): Promise<FileList> {
  return call("get", "/api/projects/{project_id}/files", { params: { project_id: id }, signal });
}

export function rebuild(id: string, appFile?: string): Promise<Build> {
  return call("post", "/api/projects/{project_id}/rebuild", {
    params: { project_id: id },
    body: appFile ? { app_file: appFile } : {},
  });
}

export async function deleteProject(id: string): Promise<void> {
  await call("delete", "/api/projects/{project_id}", { params: { project_id: id } });
}

/** The Server-Sent Events URL of a build's log (latest build unless buildId is given). */
export function buildLogUrl(id: string, buildId?: string | null): string {
  return urlOf(
    "/api/projects/{project_id}/build/logs",
    { project_id: id },
    { build_id: buildId ?? undefined },
  );
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

/**
 * Upload a bundle with XMLHttpRequest, for real progress events. Resolves with the new
 * project; rejects with ApiError (413, 422 with details per file or field, ...).
 */
export function uploadProject(
  fields: UploadFields,
  file: File,
  onProgress?: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<UploadResult> {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== "") form.append(key, String(value));
  }
  form.append("file", file, file.name);
  return new Promise<UploadResult>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", urlOf("/api/projects/upload"));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = (e) => {
      if (onProgress) onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as UploadResult);
        } catch {
          reject(new ApiError(xhr.status, "bad_response", "The server sent an unreadable answer"));
        }
      } else {
        reject(toApiError(xhr.status, xhr.responseText, xhr.getResponseHeader("Retry-After")));
      }
    };
    xhr.onerror = () =>
      reject(new ApiError(0, "network_error", "The upload failed: cannot reach the server"));
    xhr.onabort = () => reject(new ApiError(0, "aborted", "The upload was cancelled"));
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(form);
  });
}

// --- demos --------------------------------------------------------------------------------

export function launchDemo(id: string): Promise<Demo> {
  return call("post", "/api/demo/{project_id}/launch", { params: { project_id: id } });
}

export function demoStatus(id: string, signal?: AbortSignal): Promise<Demo> {
  return call("get", "/api/demo/{project_id}/status", { params: { project_id: id }, signal });
}

export function stopDemo(id: string): Promise<Demo> {
  return call("post", "/api/demo/{project_id}/stop", { params: { project_id: id } });
}
