import type { Metadata } from "next";
import { Suspense } from "react";
import { GalleryView } from "@/components/gallery/GalleryView";
import { ModelGridSkeleton } from "@/components/projects/ModelCard";

export const metadata: Metadata = { title: "Gallery" };

export default function GalleryPage() {
  return (
    <>
      <h1 className="mb-6 text-3xl font-bold">Gallery</h1>
      <Suspense fallback={<ModelGridSkeleton />}>
        <GalleryView />
      </Suspense>
    </>
  );
}
