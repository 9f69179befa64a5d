"use client";

import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { ErrorAlert } from "@/components/ui/Alert";
import { uploadProject } from "@/lib/api/client";
import { ApiError, messageOf } from "@/lib/api/errors";
import type { ErrorDetail, UploadFields } from "@/lib/api/types";
import { formatBytes } from "@/lib/format";
import { checkBundle } from "./bundleCheck";
import { DropZone } from "./DropZone";
import { ProgressBar } from "./ProgressBar";

interface Values {
  name: string;
  description: string;
  tags: string;
  author_name: string;
  github_url: string;
  app_file: string;
}

type FieldErrors = Partial<Record<keyof Values | "file", string>>;

const FIELD_NAMES = new Set(["name", "description", "tags", "author_name", "github_url", "app_file", "file"]);

function validate(v: Values): FieldErrors {
  const e: FieldErrors = {};
  if (!v.name.trim()) e.name = "Give your model a name";
  else if (v.name.trim().length > 100) e.name = "The name is at most 100 characters";
  if (v.description.length > 5000) e.description = "The description is at most 5000 characters";
  if (!v.author_name.trim()) e.author_name = "Say who made it";
  else if (v.author_name.trim().length > 100) e.author_name = "The author is at most 100 characters";
  if (v.github_url.trim()) {
    try {
      const url = new URL(v.github_url.trim());
      if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("scheme");
    } catch {
      e.github_url = "Enter a full URL, like https://github.com/you/project";
    }
  }
  if (v.app_file.trim() && !v.app_file.trim().endsWith(".py")) {
    e.app_file = "The entry file is a Python script ending in .py";
  }
  return e;
}

interface Progress {
  loaded: number;
  total: number;
}

/** The upload form: fields, the bundle, client-side checks, real progress, server errors. */
export function UploadForm({ defaultAuthor }: { defaultAuthor: string }) {
  const router = useRouter();
  const [values, setValues] = useState<Values>({
    name: "",
    description: "",
    tags: "",
    author_name: defaultAuthor,
    github_url: "",
    app_file: "",
  });
  const [file, setFile] = useState<File | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [serverError, setServerError] = useState<{ title: string; message: string; details: ErrorDetail[] } | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | null>(null);

  const set = (key: keyof Values) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
    setValues((v) => ({ ...v, [key]: e.target.value }));

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    setServerError(null);
    const found = validate(values);
    if (!file) found.file = "Choose a .zip or .rar bundle";
    else {
      const problems = await checkBundle(file);
      if (problems.length) found.file = problems.join(". ");
    }
    setErrors(found);
    if (Object.keys(found).length > 0 || !file) return;

    const fields: UploadFields = {
      name: values.name.trim(),
      description: values.description.trim(),
      tags: values.tags,
      author_name: values.author_name.trim(),
      github_url: values.github_url.trim() || undefined,
      app_file: values.app_file.trim() || undefined,
    };
    setBusy(true);
    setProgress({ loaded: 0, total: file.size });
    abort.current = new AbortController();
    try {
      const result = await uploadProject(fields, file, setProgress, abort.current.signal);
      router.push(`/models/${result.project_id}`);
    } catch (err) {
      setProgress(null);
      setBusy(false);
      if (err instanceof ApiError) {
        const fieldErrors: FieldErrors = {};
        for (const d of err.details) {
          if (d.field && FIELD_NAMES.has(d.field) && !fieldErrors[d.field as keyof FieldErrors]) {
            fieldErrors[d.field as keyof FieldErrors] = d.problem;
          }
        }
        setErrors(fieldErrors);
        const refused = err.status >= 400 && err.status < 500;
        setServerError({
          title: refused ? "The upload was refused" : "The upload failed",
          message: err.message,
          details: err.details,
        });
      } else {
        setServerError({ title: "The upload failed", message: messageOf(err), details: [] });
      }
    }
  }

  const invalid = Object.entries(errors).filter(([, msg]) => msg);
  const percent = progress && progress.total > 0 ? (progress.loaded / progress.total) * 100 : 0;
  const uploaded = progress !== null && progress.total > 0 && progress.loaded >= progress.total;

  const field = (key: keyof Values, label: string, opts: { hint?: string; required?: boolean; type?: string; placeholder?: string } = {}) => (
    <div>
      <label htmlFor={`upload-${key}`} className="label">
        {label}
        {opts.required && <span aria-hidden="true" className="text-red-600"> *</span>}
      </label>
      <input
        id={`upload-${key}`}
        name={key}
        type={opts.type ?? "text"}
        required={opts.required}
        placeholder={opts.placeholder}
        value={values[key]}
        onChange={set(key)}
        disabled={busy}
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={[opts.hint && `upload-${key}-hint`, errors[key] && `upload-${key}-error`].filter(Boolean).join(" ") || undefined}
        className="input"
      />
      {opts.hint && (
        <p id={`upload-${key}-hint`} className="mt-1 text-xs text-slate-500">
          {opts.hint}
        </p>
      )}
      {errors[key] && (
        <p id={`upload-${key}-error`} className="field-error">
          {errors[key]}
        </p>
      )}
    </div>
  );

  return (
    <div className="grid gap-8 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
      <form noValidate onSubmit={onSubmit} className="card space-y-5" aria-label="Upload a model">
        {field("name", "Name", { required: true, placeholder: "Sentiment analyser" })}
        <div>
          <label htmlFor="upload-description" className="label">
            Description
          </label>
          <textarea
            id="upload-description"
            name="description"
            rows={4}
            value={values.description}
            onChange={set("description")}
            disabled={busy}
            aria-invalid={errors.description ? true : undefined}
            aria-describedby={errors.description ? "upload-description-error" : undefined}
            className="input"
          />
          {errors.description && (
            <p id="upload-description-error" className="field-error">
              {errors.description}
            </p>
          )}
        </div>
        <div className="grid gap-5 sm:grid-cols-2">
          {field("tags", "Tags", { hint: "Comma-separated, e.g. nlp, sentiment" })}
          {field("author_name", "Author", { required: true })}
          {field("github_url", "GitHub URL", { type: "url", placeholder: "https://github.com/you/project" })}
          {field("app_file", "Entry file", { hint: "Optional; app.py or main.py is found by default", placeholder: "app.py" })}
        </div>
        <DropZone
          file={file}
          disabled={busy}
          error={errors.file}
          onFile={(f) => {
            setFile(f);
            setErrors((e) => ({ ...e, file: undefined }));
          }}
        />
        {progress && (
          <div aria-live="polite">
            <ProgressBar
              percent={percent}
              label={uploaded ? "Uploaded; checking the bundle…" : `Uploading ${formatBytes(progress.loaded)} of ${formatBytes(progress.total)}`}
            />
          </div>
        )}
        <div className="flex flex-wrap gap-3">
          <button type="submit" className="btn-primary" disabled={busy}>
            {busy ? "Uploading…" : "Upload and build"}
          </button>
          {busy && !uploaded && (
            <button type="button" className="btn-secondary" onClick={() => abort.current?.abort()}>
              Cancel
            </button>
          )}
        </div>
      </form>
      <aside aria-label="Problems" className="space-y-4">
        {serverError && (
          <ErrorAlert title={serverError.title} message={serverError.message} details={serverError.details} />
        )}
        {!serverError && invalid.length > 0 && (
          <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-4 text-sm text-red-800">
            <p className="font-semibold">Please fix {invalid.length === 1 ? "this" : `these ${invalid.length}`} first</p>
            <ul className="mt-2 list-disc space-y-1 pl-5">
              {invalid.map(([key, msg]) => (
                <li key={key}>{msg}</li>
              ))}
            </ul>
          </div>
        )}
        <div className="card text-sm text-slate-700">
          <h2 className="font-semibold text-slate-900">What goes in the bundle</h2>
          <ul className="mt-2 list-disc space-y-1 pl-5">
            <li>
              <code>app.py</code> or <code>main.py</code> — your Streamlit app
            </li>
            <li>
              <code>requirements.txt</code> — its Python packages
            </li>
            <li>model files, helper modules and assets</li>
          </ul>
          <p className="mt-2">No executables; ZIP or RAR up to 500 MB.</p>
        </div>
      </aside>
    </div>
  );
}
