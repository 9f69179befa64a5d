import type { Metadata } from "next";
import { MyProjectsView } from "@/components/my-projects/MyProjectsView";

export const metadata: Metadata = { title: "My projects" };

export default function MyProjectsPage() {
  return <MyProjectsView />;
}
