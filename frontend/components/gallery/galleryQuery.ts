import type { ProjectQuery } from "@/lib/api/types";

export const SORTS = [
  { value: "newest", label: "Newest" },
  { value: "popular", label: "Most launched" },
  { value: "name", label: "Name" },
] as const;

export interface GalleryQuery {
  search: string;
  tags: string;
  author: string;
  sort: string;
  page: number;
}

export const PAGE_SIZE = 12;

/** Read the gallery query from URL search params (the URL is the source of truth). */
export function readQuery(params: URLSearchParams): GalleryQuery {
  const sort = params.get("sort") ?? "newest";
  const page = Number.parseInt(params.get("page") ?? "1", 10);
  return {
    search: params.get("search") ?? "",
    tags: params.get("tags") ?? "",
    author: params.get("author") ?? "",
    sort: SORTS.some((s) => s.value === sort) ? sort : "newest",
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
}

/** The URL query string of a gallery query, leaving defaults out. */
export function queryString(q: GalleryQuery): string {
  const p = new URLSearchParams();
  if (q.search.trim()) p.set("search", q.search.trim());
  const tags = normaliseTags(q.tags);
  if (tags) p.set("tags", tags);
  if (q.author.trim()) p.set("author", q.author.trim());
  if (q.sort !== "newest") p.set("sort", q.sort);
  if (q.page > 1) p.set("page", String(q.page));
  return p.toString();
}

export function normaliseTags(tags: string): string {
  return tags
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean)
    .join(",");
}

export function toApiQuery(q: GalleryQuery): ProjectQuery {
  return {
    search: q.search.trim() || undefined,
    tags: normaliseTags(q.tags) || undefined,
    author: q.author.trim() || undefined,
    sort: q.sort,
    page: q.page,
    limit: PAGE_SIZE,
  };
}
