import Link from "next/link";

export function Footer() {
  return (
    <footer className="mt-16 border-t border-slate-200 bg-white">
      <div className="mx-auto flex max-w-6xl flex-col gap-2 px-4 py-6 text-sm text-slate-600 sm:flex-row sm:items-center sm:justify-between">
        <p>Model Hub — self-hosted Streamlit demos for your models.</p>
        <nav aria-label="Footer" className="flex gap-4">
          <Link href="/gallery" className="hover:text-slate-900">
            Gallery
          </Link>
          <Link href="/upload" className="hover:text-slate-900">
            Upload
          </Link>
          <a href="/api/docs" className="hover:text-slate-900">
            API docs
          </a>
        </nav>
      </div>
    </footer>
  );
}
