const STYLES: Record<string, string> = {
  pending: "bg-slate-100 text-slate-700 ring-slate-300",
  queued: "bg-slate-100 text-slate-700 ring-slate-300",
  building: "bg-amber-50 text-amber-800 ring-amber-300",
  ready: "bg-emerald-50 text-emerald-800 ring-emerald-300",
  running: "bg-sky-50 text-sky-800 ring-sky-300",
  starting: "bg-sky-50 text-sky-800 ring-sky-300",
  stopping: "bg-slate-100 text-slate-700 ring-slate-300",
  stopped: "bg-slate-100 text-slate-700 ring-slate-300",
  failed: "bg-red-50 text-red-800 ring-red-300",
  error: "bg-red-50 text-red-800 ring-red-300",
};

const LABELS: Record<string, string> = {
  pending: "Pending",
  queued: "Queued",
  building: "Building",
  ready: "Ready",
  running: "Running",
  starting: "Starting",
  stopping: "Stopping",
  stopped: "Stopped",
  failed: "Build failed",
  error: "Error",
};

/** A project, build or demo state as a coloured pill (the text always says the state). */
export function StatusBadge({ status, prefix }: { status: string | null | undefined; prefix?: string }) {
  const key = status ?? "pending";
  return (
    <span
      data-status={key}
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${
        STYLES[key] ?? STYLES.pending
      }`}
    >
      {prefix ? `${prefix}: ` : ""}
      {LABELS[key] ?? key}
    </span>
  );
}
