"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { ModelGrid, ModelGridSkeleton } from "@/components/projects/ModelCard";
import { ErrorAlert } from "@/components/ui/Alert";
import { EmptyState } from "@/components/ui/EmptyState";
import { listProjects } from "@/lib/api/client";
import { messageOf } from "@/lib/api/errors";
import type { ProjectPage } from "@/lib/api/types";
import { GalleryFilters } from "./GalleryFilters";
import { Pagination } from "./Pagination";
import { queryString, readQuery, toApiQuery, type GalleryQuery } from "./galleryQuery";

export function GalleryView() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const key = params.toString();
  const query = useMemo(() => readQuery(new URLSearchParams(key)), [key]);
  const [result, setResult] = useState<{ key: string; page: ProjectPage } | null>(null);
  const [error, setError] = useState<{ key: string; message: string } | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    listProjects(toApiQuery(query), ctl.signal)
      .then((page) => setResult({ key, page }))
      .catch((err: unknown) => {
        if (!ctl.signal.aborted) setError({ key, message: messageOf(err) });
      });
    return () => ctl.abort();
  }, [key, query]);

  const go = (q: GalleryQuery) => {
    const qs = queryString(q);
    router.push(qs ? `${pathname}?${qs}` : pathname);
  };
  const hrefOf = (n: number) => {
    const qs = queryString({ ...query, page: n });
    return qs ? `${pathname}?${qs}` : pathname;
  };
  const filtered = Boolean(query.search || query.tags || query.author);
  const current = result?.key === key ? result.page : null;
  const failed = error?.key === key ? error.message : null;

  return (
    <div className="space-y-6">
      <GalleryFilters query={query} onChange={go} />
      <div aria-live="polite" className="text-sm text-slate-600">
        {current && `${current.total} model${current.total === 1 ? "" : "s"} found`}
      </div>
      {failed ? (
        <ErrorAlert message={`Could not load models: ${failed}`} />
      ) : !current ? (
        <ModelGridSkeleton />
      ) : current.projects.length === 0 ? (
        filtered ? (
          <EmptyState title="No models match" body="Try other words, or clear the filters." action={{ href: "/gallery", label: "Clear filters" }} />
        ) : (
          <EmptyState title="No models yet" body="Upload the first one." action={{ href: "/upload", label: "Upload a model" }} />
        )
      ) : (
        <>
          <ModelGrid projects={current.projects} />
          <Pagination page={current.page} pages={current.pages} hrefOf={hrefOf} />
        </>
      )}
    </div>
  );
}
