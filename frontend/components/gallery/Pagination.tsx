import Link from "next/link";

/** Page links; `hrefOf(n)` builds the URL of page n so every page is shareable. */
export function Pagination({
  page,
  pages,
  hrefOf,
}: {
  page: number;
  pages: number;
  hrefOf: (n: number) => string;
}) {
  if (pages <= 1) return null;
  const numbers = Array.from({ length: pages }, (_, i) => i + 1).filter(
    (n) => n === 1 || n === pages || Math.abs(n - page) <= 2,
  );
  const base = "rounded-md border px-3 py-1.5 text-sm";
  return (
    <nav aria-label="Pagination" className="mt-8 flex flex-wrap items-center justify-center gap-1">
      {page > 1 ? (
        <Link href={hrefOf(page - 1)} className={`${base} border-slate-300 bg-white hover:bg-slate-50`} rel="prev">
          ← Previous
        </Link>
      ) : (
        <span className={`${base} border-slate-200 text-slate-400`} aria-disabled="true">
          ← Previous
        </span>
      )}
      {numbers.map((n, i) => (
        <span key={n} className="flex items-center gap-1">
          {i > 0 && n - (numbers[i - 1] ?? n) > 1 && <span aria-hidden="true">…</span>}
          <Link
            href={hrefOf(n)}
            aria-current={n === page ? "page" : undefined}
            aria-label={`Page ${n}`}
            className={`${base} ${
              n === page ? "border-indigo-600 bg-indigo-600 text-white" : "border-slate-300 bg-white hover:bg-slate-50"
            }`}
          >
            {n}
          </Link>
        </span>
      ))}
      {page < pages ? (
        <Link href={hrefOf(page + 1)} className={`${base} border-slate-300 bg-white hover:bg-slate-50`} rel="next">
          Next →
        </Link>
      ) : (
        <span className={`${base} border-slate-200 text-slate-400`} aria-disabled="true">
          Next →
        </span>
      )}
    </nav>
  );
}
