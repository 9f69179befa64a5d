"use client";

import { useCallback, useEffect, useState } from "react";
import { useUser } from "@/components/auth/UserProvider";
import { StatusBadge } from "@/components/projects/StatusBadge";
import { TagList } from "@/components/projects/TagList";
import { ErrorAlert } from "@/components/ui/Alert";
import { EmptyState } from "@/components/ui/EmptyState";
import { Spinner } from "@/components/ui/Spinner";
import { getProject, listFiles } from "@/lib/api/client";
import { ApiError, messageOf } from "@/lib/api/errors";
import type { FileList as Files, ProjectDetail } from "@/lib/api/types";
import { formatBytes, formatDate } from "@/lib/format";
import { BuildSection } from "./BuildSection";
import { FileList } from "./FileList";
import { LaunchPanel } from "./LaunchPanel";
import { OwnerActions } from "./OwnerActions";

const POLL_WHILE_BUILDING_MS = 5000;

export function ModelDetail({ id }: { id: string }) {
  const { user } = useUser();
  const [project, setProject] = useState<ProjectDetail | null>(null);
  const [files, setFiles] = useState<Files | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);

  const load = useCallback(
    () =>
      getProject(id).then(
        (p) => {
          setProject(p);
          setError(null);
        },
        (err: unknown) => setError(err instanceof Error ? err : new Error(messageOf(err))),
      ),
    [id],
  );

  useEffect(() => {
    void load();
    listFiles(id)
      .then(setFiles)
      .catch(() => setFiles({ project_id: id, files: [], total_size: 0 }));
  }, [id, load]);

  const buildState = project?.build?.state ?? project?.build_state ?? null;
  const building = buildState === "queued" || buildState === "building";
  useEffect(() => {
    if (!building) return;
    const t = setInterval(() => void load(), POLL_WHILE_BUILDING_MS);
    return () => clearInterval(t);
  }, [building, load]);

  if (error && !project) {
    if (error instanceof ApiError && error.status === 404) {
      return <EmptyState title="Model not found" body="It may have been deleted, or the link is wrong." action={{ href: "/gallery", label: "Browse the gallery" }} />;
    }
    return <ErrorAlert title="Could not load this model" message={error.message} />;
  }
  if (!project) return <Spinner label="Loading the model…" />;

  const isOwner = Boolean(user && (user.id === project.owner_id || user.is_admin));
  const pythonFiles = (files?.files ?? []).map((f) => f.path).filter((p) => p.endsWith(".py"));
  const ready = buildState === "ready";

  return (
    <div className="space-y-6">
      <header>
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="min-w-0 break-words text-3xl font-bold">{project.name}</h1>
          <span data-testid="project-status">
            <StatusBadge status={project.status} />
          </span>
        </div>
        <p className="mt-1 text-slate-600">by {project.author_name || "unknown"}</p>
        <div className="mt-3">
          <TagList tags={project.tags} />
        </div>
        {project.description && <p className="mt-4 max-w-3xl whitespace-pre-line text-slate-800">{project.description}</p>}
        <dl className="mt-4 flex flex-wrap gap-x-8 gap-y-2 text-sm">
          <div>
            <dt className="text-slate-500">Entry file</dt>
            <dd className="font-mono">{project.files.app_file}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Bundle size</dt>
            <dd>{formatBytes(project.files.total_size)}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Launches</dt>
            <dd>{project.launch_count}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Uploaded</dt>
            <dd>{formatDate(project.created_at)}</dd>
          </div>
          {project.github_url && (
            <div>
              <dt className="text-slate-500">Source</dt>
              <dd>
                <a href={project.github_url} target="_blank" rel="noopener noreferrer" className="font-medium text-indigo-700 hover:text-indigo-900">
                  GitHub ↗
                </a>
              </dd>
            </div>
          )}
        </dl>
        {error && (
          <p role="alert" className="mt-3 text-sm text-red-700">
            Could not refresh: {error.message}
          </p>
        )}
      </header>

      <LaunchPanel
        key={project.build_id ?? "none"}
        projectId={project.id}
        projectName={project.name}
        initial={{ status: project.demo_state, demo_url: project.demo_url, reason: project.demo_reason }}
        canLaunch={ready}
        notReadyText={
          buildState === "failed" ? "The build failed; fix the bundle and rebuild." : "The demo can be launched once the build is ready."
        }
        isOwner={isOwner}
        onChange={() => void load()}
      />

      <div className="grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <BuildSection projectId={project.id} build={project.build} onEnd={() => void load()} />
        <section aria-labelledby="files-heading" className="card">
          <h2 id="files-heading" className="text-xl font-semibold">
            Files
          </h2>
          <div className="mt-3">{files ? <FileList files={files} appFile={project.files.app_file} /> : <p className="text-sm text-slate-500">Loading files…</p>}</div>
        </section>
      </div>

      {isOwner && (
        <OwnerActions
          projectId={project.id}
          projectName={project.name}
          appFile={project.files.app_file}
          pythonFiles={pythonFiles}
          building={building}
          onRebuilt={() => void load()}
        />
      )}
    </div>
  );
}
