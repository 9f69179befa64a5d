"use client";

import { RequireUser } from "@/components/auth/RequireUser";
import { useUser } from "@/components/auth/UserProvider";
import { UploadForm } from "./UploadForm";

export function UploadPage() {
  const { user } = useUser();
  return (
    <RequireUser>
      <h1 className="mb-2 text-3xl font-bold">Upload a model</h1>
      <p className="mb-6 text-slate-600">Model Hub checks your bundle, builds it, and you can launch it when the build is ready.</p>
      <UploadForm defaultAuthor={user?.username ?? ""} />
    </RequireUser>
  );
}
