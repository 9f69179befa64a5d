import type { Metadata } from "next";
import { ModelDetail } from "@/components/model/ModelDetail";

export const metadata: Metadata = { title: "Model" };

export default async function ModelPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ModelDetail id={id} />;
}
