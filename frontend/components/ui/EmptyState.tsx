import Link from "next/link";

export function EmptyState({
  title,
  body,
  action,
}: {
  title: string;
  body?: string;
  action?: { href: string; label: string };
}) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white px-6 py-12 text-center">
      <p className="text-lg font-semibold text-slate-800">{title}</p>
      {body && <p className="mt-1 text-slate-600">{body}</p>}
      {action && (
        <Link href={action.href} className="btn-primary mt-4 inline-block">
          {action.label}
        </Link>
      )}
    </div>
  );
}
