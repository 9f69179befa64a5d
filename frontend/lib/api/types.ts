// Names for the API's shapes. They all come from the generated schema, so API drift breaks tsc.
import type { components, paths } from "./schema";

type Schemas = components["schemas"];

export type User = Schemas["UserOut"];
export type Project = Schemas["ProjectOut"];
export type ProjectDetail = Schemas["ProjectDetailOut"];
export type Build = Schemas["BuildOut"];
export type Demo = Schemas["DemoOut"];
export type ProjectPage = Schemas["ProjectPageOut"];
export type FileList = Schemas["FileListOut"];
export type ProjectFile = Schemas["FileOut"];
export type UploadResult = Schemas["UploadOut"];
export type RegisterRequest = Schemas["RegisterRequest"];
export type LoginRequest = Schemas["LoginRequest"];
export type LoginResult = Schemas["TokenOut"];

/** The multipart fields of POST /api/projects/upload, except the file itself. */
export type UploadFields = Omit<
  paths["/api/projects/upload"]["post"]["requestBody"]["content"]["multipart/form-data"],
  "file"
>;

/** Query of GET /api/projects. */
export type ProjectQuery = NonNullable<paths["/api/projects"]["get"]["parameters"]["query"]>;

/** The closed sets the API documents (the schema types them as plain strings). */
export type ProjectStatus = "pending" | "building" | "ready" | "running" | "error";
export type BuildState = "queued" | "building" | "ready" | "failed";
export type DemoStatus = "running" | "starting" | "stopped" | "stopping" | "error";

/** One problem in an error's `details`: a form field or a file of the bundle. */
export interface ErrorDetail {
  field?: string;
  file?: string;
  problem: string;
}

/** The one JSON shape of every 4xx/5xx. */
export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}
