import Link from "next/link";

/** Tags as links to the gallery filtered by that tag. */
export function TagList({ tags, max }: { tags: string[]; max?: number }) {
  const shown = max ? tags.slice(0, max) : tags;
  if (shown.length === 0) return null;
  return (
    <ul className="flex flex-wrap gap-1.5" aria-label="Tags">
      {shown.map((tag) => (
        <li key={tag}>
          <Link
            href={`/gallery?tags=${encodeURIComponent(tag)}`}
            className="relative z-10 rounded bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700 hover:bg-indigo-100"
          >
            #{tag}
          </Link>
        </li>
      ))}
      {max && tags.length > max && (
        <li className="px-1 text-xs text-slate-500">+{tags.length - max} more</li>
      )}
    </ul>
  );
}
