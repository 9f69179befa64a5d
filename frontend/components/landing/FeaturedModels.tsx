"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import { ErrorAlert } from "@/components/ui/Alert";
import { EmptyState } from "@/components/ui/EmptyState";
import { ModelGrid, ModelGridSkeleton } from "@/components/projects/ModelCard";
import { listProjects } from "@/lib/api/client";
import { messageOf } from "@/lib/api/errors";
import type { Project } from "@/lib/api/types";

export function FeaturedModels() {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    listProjects({ sort: "popular", limit: 6 }, ctl.signal)
      .then((page) => setProjects(page.projects))
      .catch((err: unknown) => {
        if (!ctl.signal.aborted) setError(messageOf(err));
      });
    return () => ctl.abort();
  }, []);

  return (
    <section aria-labelledby="featured" className="mt-14">
      <div className="flex items-baseline justify-between">
        <h2 id="featured" className="text-2xl font-bold">
          Featured models
        </h2>
        <Link href="/gallery?sort=popular" className="text-sm font-semibold text-indigo-700 hover:text-indigo-900">
          See all →
        </Link>
      </div>
      <div className="mt-6">
        {error ? (
          <ErrorAlert message={`Could not load models: ${error}`} />
        ) : projects === null ? (
          <ModelGridSkeleton />
        ) : projects.length === 0 ? (
          <EmptyState
            title="No models yet"
            body="Be the first to share one."
            action={{ href: "/upload", label: "Upload a model" }}
          />
        ) : (
          <ModelGrid projects={projects} />
        )}
      </div>
    </section>
  );
}
