"use client";

import { useState } from "react";
import { SORTS, type GalleryQuery } from "./galleryQuery";

/** Search, tag and author filters and the sort order. Submitting resets to page 1. */
export function GalleryFilters({
  query,
  onChange,
}: {
  query: GalleryQuery;
  onChange: (q: GalleryQuery) => void;
}) {
  const [draft, setDraft] = useState(query);
  const [synced, setSynced] = useState(query);
  // keep the inputs in step with the URL (back/forward, tag links)
  if (synced !== query) {
    setSynced(query);
    setDraft(query);
  }

  return (
    <form
      role="search"
      aria-label="Filter models"
      className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-[2fr_1fr_1fr_auto_auto] lg:items-end"
      onSubmit={(e) => {
        e.preventDefault();
        onChange({ ...draft, page: 1 });
      }}
    >
      <div>
        <label htmlFor="gallery-search" className="label">
          Search
        </label>
        <input
          id="gallery-search"
          type="search"
          className="input"
          placeholder="Name or description"
          value={draft.search}
          onChange={(e) => setDraft({ ...draft, search: e.target.value })}
        />
      </div>
      <div>
        <label htmlFor="gallery-tags" className="label">
          Tags
        </label>
        <input
          id="gallery-tags"
          className="input"
          placeholder="vision, nlp"
          value={draft.tags}
          onChange={(e) => setDraft({ ...draft, tags: e.target.value })}
        />
      </div>
      <div>
        <label htmlFor="gallery-author" className="label">
          Author
        </label>
        <input
          id="gallery-author"
          className="input"
          value={draft.author}
          onChange={(e) => setDraft({ ...draft, author: e.target.value })}
        />
      </div>
      <div>
        <label htmlFor="gallery-sort" className="label">
          Sort by
        </label>
        <select
          id="gallery-sort"
          className="input"
          value={draft.sort}
          onChange={(e) => {
            const next = { ...draft, sort: e.target.value, page: 1 };
            setDraft(next);
            onChange(next);
          }}
        >
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="btn-primary h-[38px]">
        Search
      </button>
    </form>
  );
}
