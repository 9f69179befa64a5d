import { EmptyState } from "@/components/ui/EmptyState";

export default function NotFound() {
  return <EmptyState title="Page not found" body="There is nothing at this address." action={{ href: "/", label: "Go home" }} />;
}
