import type { ErrorDetail } from "@/lib/api/types";

/** An error announced to screen readers (role="alert"), with optional per-item problems. */
export function ErrorAlert({
  title,
  message,
  details,
}: {
  title?: string;
  message: string;
  details?: ErrorDetail[];
}) {
  return (
    <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-4 text-sm text-red-800">
      {title && <p className="font-semibold">{title}</p>}
      <p>{message}</p>
      {details && details.length > 0 && (
        <ul className="mt-2 list-disc space-y-1 pl-5">
          {details.map((d, i) => (
            <li key={i}>
              {(d.file ?? d.field) && (
                <code className="rounded bg-red-100 px-1 font-mono">{d.file ?? d.field}</code>
              )}
              {(d.file ?? d.field) ? ": " : ""}
              {d.problem}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ children }: { children: React.ReactNode }) {
  return (
    <div role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
      {children}
    </div>
  );
}
