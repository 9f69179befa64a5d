"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { ErrorAlert } from "@/components/ui/Alert";
import { login } from "@/lib/api/client";
import { ApiError, messageOf } from "@/lib/api/errors";
import { safeNext } from "@/lib/format";
import { useUser } from "./UserProvider";

export function LoginForm() {
  const router = useRouter();
  const params = useSearchParams();
  const next = safeNext(params.get("next"));
  const { setUser } = useUser();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    if (!email.trim() || !password) {
      setError("Enter your email and password");
      return;
    }
    setBusy(true);
    try {
      const result = await login({ email: email.trim(), password });
      setUser(result.user);
      router.push(next);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) setError("Wrong email or password");
      else setError(messageOf(err));
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate aria-label="Sign in" className="card space-y-4">
      {error && <ErrorAlert message={error} />}
      <div>
        <label htmlFor="login-email" className="label">
          Email
        </label>
        <input id="login-email" name="email" type="email" autoComplete="email" required className="input" value={email} onChange={(e) => setEmail(e.target.value)} />
      </div>
      <div>
        <label htmlFor="login-password" className="label">
          Password
        </label>
        <input id="login-password" name="password" type="password" autoComplete="current-password" required className="input" value={password} onChange={(e) => setPassword(e.target.value)} />
      </div>
      <button type="submit" className="btn-primary w-full" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
      <p className="text-center text-sm text-slate-600">
        New here?{" "}
        <Link href={`/auth/register${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`} className="font-semibold text-indigo-700">
          Create an account
        </Link>
      </p>
    </form>
  );
}
