"use client";

import { usePathname, useRouter } from "next/navigation";
import { useEffect } from "react";
import { Spinner } from "@/components/ui/Spinner";
import { useUser } from "./UserProvider";

/** Renders its children for a signed-in user; sends anyone else to the login page. */
export function RequireUser({ children }: { children: React.ReactNode }) {
  const { user, loading } = useUser();
  const router = useRouter();
  const pathname = usePathname();

  useEffect(() => {
    if (!loading && !user) router.replace(`/auth/login?next=${encodeURIComponent(pathname)}`);
  }, [loading, user, router, pathname]);

  if (!user) return <Spinner label={loading ? "Checking your session…" : "Redirecting to sign in…"} />;
  return <>{children}</>;
}
