"use client";

import Link from "next/link";
import { useCallback, useEffect, useState } from "react";
import { RequireUser } from "@/components/auth/RequireUser";
import { StatusBadge } from "@/components/projects/StatusBadge";
import { ErrorAlert } from "@/components/ui/Alert";
import { ConfirmDialog } from "@/components/ui/ConfirmDialog";
import { EmptyState } from "@/components/ui/EmptyState";
import { Spinner } from "@/components/ui/Spinner";
import { deleteProject, myProjects, rebuild } from "@/lib/api/client";
import { messageOf } from "@/lib/api/errors";
import type { Project } from "@/lib/api/types";
import { formatDate } from "@/lib/format";

function ProjectRows() {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [toDelete, setToDelete] = useState<Project | null>(null);

  const load = useCallback(
    () =>
      myProjects().then(
        (page) => {
          setProjects(page.projects);
          setError(null);
        },
        (err: unknown) => setError(messageOf(err)),
      ),
    [],
  );

  useEffect(() => {
    void load();
  }, [load]);

  const anyBuilding = projects?.some((p) => p.status === "building") ?? false;
  useEffect(() => {
    if (!anyBuilding) return;
    const t = setInterval(() => void load(), 5000);
    return () => clearInterval(t);
  }, [anyBuilding, load]);

  async function doRebuild(p: Project) {
    setBusy(p.id);
    setNotice(null);
    try {
      await rebuild(p.id);
      setNotice(`Rebuilding “${p.name}”…`);
      await load();
    } catch (err) {
      setError(`Could not rebuild “${p.name}”: ${messageOf(err)}`);
    } finally {
      setBusy(null);
    }
  }

  async function doDelete() {
    if (!toDelete) return;
    const p = toDelete;
    setBusy(p.id);
    try {
      await deleteProject(p.id);
      setNotice(`Deleted “${p.name}”.`);
      setToDelete(null);
      await load();
    } catch (err) {
      setToDelete(null);
      setError(`Could not delete “${p.name}”: ${messageOf(err)}`);
    } finally {
      setBusy(null);
    }
  }

  if (projects === null && !error) return <Spinner label="Loading your projects…" />;
  return (
    <div className="space-y-4">
      {error && <ErrorAlert message={error} />}
      <p aria-live="polite" className="text-sm text-emerald-800">
        {notice}
      </p>
      {projects && projects.length === 0 ? (
        <EmptyState title="You have no projects yet" body="Upload a Streamlit bundle to get a live demo." action={{ href: "/upload", label: "Upload a model" }} />
      ) : (
        <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
          {projects?.map((p) => (
            <li key={p.id} className="flex flex-col gap-3 p-4 sm:flex-row sm:items-center sm:justify-between">
              <div className="min-w-0">
                <div className="flex flex-wrap items-center gap-2">
                  <Link href={`/models/${p.id}`} className="font-semibold text-slate-900 hover:text-indigo-700">
                    {p.name}
                  </Link>
                  <StatusBadge status={p.status} />
                </div>
                <p className="mt-1 text-xs text-slate-500">
                  Uploaded {formatDate(p.created_at)} · {p.launch_count} launch{p.launch_count === 1 ? "" : "es"}
                  {p.demo_reason && p.status === "error" ? ` · ${p.demo_reason}` : ""}
                </p>
              </div>
              <div className="flex flex-wrap gap-2">
                <Link href={`/models/${p.id}`} className="btn-secondary">
                  Open
                </Link>
                <button type="button" className="btn-secondary" disabled={busy === p.id || p.status === "building"} onClick={() => doRebuild(p)} aria-label={`Rebuild ${p.name}`}>
                  Rebuild
                </button>
                <button type="button" className="btn-danger" disabled={busy === p.id} onClick={() => setToDelete(p)} aria-label={`Delete ${p.name}`}>
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={toDelete !== null}
        title={`Delete “${toDelete?.name ?? ""}”?`}
        body="Its demo, image, files and record are removed for good."
        confirmLabel="Delete for good"
        busy={busy !== null && busy === toDelete?.id}
        onConfirm={doDelete}
        onCancel={() => setToDelete(null)}
      />
    </div>
  );
}

export function MyProjectsView() {
  return (
    <RequireUser>
      <div className="mb-6 flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-3xl font-bold">My projects</h1>
        <Link href="/upload" className="btn-primary">
          Upload a model
        </Link>
      </div>
      <ProjectRows />
    </RequireUser>
  );
}
