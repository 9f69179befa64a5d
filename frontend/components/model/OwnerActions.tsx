"use client";

import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { ConfirmDialog } from "@/components/ui/ConfirmDialog";
import { deleteProject, rebuild } from "@/lib/api/client";
import { messageOf } from "@/lib/api/errors";

/** Rebuild (optionally with another entry file) and Delete, for the project's owner. */
export function OwnerActions({
  projectId,
  projectName,
  appFile,
  pythonFiles,
  building,
  onRebuilt,
}: {
  projectId: string;
  projectName: string;
  appFile: string;
  pythonFiles: string[];
  building: boolean;
  onRebuilt: () => void;
}) {
  const router = useRouter();
  const id = useId();
  const [entry, setEntry] = useState(appFile);
  const [busy, setBusy] = useState<"rebuild" | "delete" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);

  async function doRebuild() {
    setBusy("rebuild");
    setError(null);
    try {
      await rebuild(projectId, entry !== appFile ? entry : undefined);
      onRebuilt();
    } catch (err) {
      setError(`Could not rebuild: ${messageOf(err)}`);
    } finally {
      setBusy(null);
    }
  }

  async function doDelete() {
    setBusy("delete");
    setError(null);
    try {
      await deleteProject(projectId);
      router.push("/my-projects");
    } catch (err) {
      setConfirming(false);
      setBusy(null);
      setError(`Could not delete: ${messageOf(err)}`);
    }
  }

  const choices = pythonFiles.includes(appFile) ? pythonFiles : [appFile, ...pythonFiles];
  return (
    <section aria-labelledby={`${id}-h`} className="card">
      <h2 id={`${id}-h`} className="text-lg font-semibold">
        Manage
      </h2>
      <div className="mt-3 flex flex-wrap items-end gap-3">
        {choices.length > 1 && (
          <div>
            <label htmlFor={`${id}-entry`} className="label">
              Entry file
            </label>
            <select id={`${id}-entry`} className="input" value={entry} onChange={(e) => setEntry(e.target.value)}>
              {choices.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </div>
        )}
        <button type="button" className="btn-secondary" onClick={doRebuild} disabled={busy !== null || building}>
          {busy === "rebuild" ? "Starting build…" : "Rebuild"}
        </button>
        <button type="button" className="btn-danger" onClick={() => setConfirming(true)} disabled={busy !== null}>
          Delete
        </button>
      </div>
      {building && <p className="mt-2 text-xs text-slate-500">A build is in progress.</p>}
      {error && (
        <p role="alert" className="mt-3 text-sm text-red-700">
          {error}
        </p>
      )}
      <ConfirmDialog
        open={confirming}
        title={`Delete “${projectName}”?`}
        body="Its demo, image, files and record are removed for good."
        confirmLabel="Delete for good"
        busy={busy === "delete"}
        onConfirm={doDelete}
        onCancel={() => setConfirming(false)}
      />
    </section>
  );
}
