"use client";

import { StatusBadge } from "@/components/projects/StatusBadge";
import type { Build } from "@/lib/api/types";
import { formatDate, formatSeconds } from "@/lib/format";
import { BuildLog, type BuildEnd } from "./BuildLog";

function infoText(info: Record<string, unknown>, key: string): string | null {
  const v = info[key];
  if (v === undefined || v === null || v === "") return null;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function smokeText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "string" || typeof v === "boolean" || typeof v === "number") return String(v);
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    const verdict = o.ok ?? o.passed ?? o.status;
    const detail = o.detail ?? o.message ?? o.reason;
    if (verdict !== undefined) {
      const word = verdict === true ? "passed" : verdict === false ? "failed" : String(verdict);
      return detail ? `${word} (${String(detail)})` : word;
    }
    return JSON.stringify(v);
  }
  return null;
}

/** The latest build: state, reason, warnings, facts from build.info, and the live log. */
export function BuildSection({
  projectId,
  build,
  onEnd,
}: {
  projectId: string;
  build: Build | null | undefined;
  onEnd: (end: BuildEnd) => void;
}) {
  if (!build) {
    return (
      <section aria-labelledby="build-heading" className="card">
        <h2 id="build-heading" className="text-xl font-semibold">
          Build
        </h2>
        <p className="mt-2 text-sm text-slate-600">No build yet.</p>
      </section>
    );
  }
  const info = (build.info ?? {}) as Record<string, unknown>;
  const facts: [string, string | null][] = [
    ["Streamlit", infoText(info, "streamlit_version")],
    ["Python", infoText(info, "python_version")],
    ["Build time", typeof info.duration_seconds === "number" ? formatSeconds(info.duration_seconds) : null],
    ["Smoke test", smokeText(info.smoke_test)],
    ["Started", build.started_at ? formatDate(build.started_at) : null],
    ["Finished", build.finished_at ? formatDate(build.finished_at) : null],
  ];
  return (
    <section aria-labelledby="build-heading" className="card">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="build-heading" className="text-xl font-semibold">
          Build
        </h2>
        <span data-testid="build-state">
          <StatusBadge status={build.state} />
        </span>
      </div>
      {build.state === "failed" && (
        <div role="alert" className="mt-3 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800">
          <p className="font-semibold">The build failed</p>
          <p>{build.reason ?? "No reason was recorded; see the log below."}</p>
        </div>
      )}
      {build.warnings.length > 0 && (
        <div className="mt-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          <p className="font-semibold">Warnings</p>
          <ul className="mt-1 list-disc pl-5">
            {build.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-3">
        {facts
          .filter(([, v]) => v)
          .map(([k, v]) => (
            <div key={k}>
              <dt className="text-slate-500">{k}</dt>
              <dd className="font-medium text-slate-800">{v}</dd>
            </div>
          ))}
      </dl>
      <div className="mt-4">
        <BuildLog key={build.id} projectId={projectId} buildId={build.id} onEnd={onEnd} />
      </div>
    </section>
  );
}
