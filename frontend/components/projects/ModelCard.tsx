import Link from "next/link";
import type { Project } from "@/lib/api/types";
import { StatusBadge } from "./StatusBadge";
import { TagList } from "./TagList";

function shorten(text: string, max = 140): string {
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max - 1).trimEnd()}…` : t;
}

export function ModelCard({ project }: { project: Project }) {
  return (
    <article
      aria-labelledby={`card-${project.id}`}
      className="flex h-full flex-col rounded-lg border border-slate-200 bg-white p-5 shadow-sm transition hover:shadow-md"
    >
      <div className="flex items-start justify-between gap-3">
        <h3 id={`card-${project.id}`} className="min-w-0 break-words text-lg font-semibold text-slate-900">
          {project.name}
        </h3>
        <StatusBadge status={project.status} />
      </div>
      <p className="mt-1 text-sm text-slate-600">by {project.author_name || "unknown"}</p>
      <p className="mt-3 flex-1 break-words text-sm text-slate-700">
        {project.description ? shorten(project.description) : <span className="italic text-slate-500">No description</span>}
      </p>
      <div className="mt-4">
        <TagList tags={project.tags} max={3} />
      </div>
      <Link
        href={`/models/${project.id}`}
        className="mt-4 text-sm font-semibold text-indigo-700 hover:text-indigo-900"
        aria-label={`View details of ${project.name}`}
      >
        View details →
      </Link>
    </article>
  );
}

export function ModelGrid({ projects }: { projects: Project[] }) {
  return (
    <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
      {projects.map((p) => (
        <li key={p.id}>
          <ModelCard project={p} />
        </li>
      ))}
    </ul>
  );
}

export function ModelGridSkeleton({ count = 6 }: { count?: number }) {
  return (
    <div role="status" aria-label="Loading models" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
      {Array.from({ length: count }, (_, i) => (
        <div key={i} className="h-48 animate-pulse rounded-lg border border-slate-200 bg-white" />
      ))}
    </div>
  );
}
