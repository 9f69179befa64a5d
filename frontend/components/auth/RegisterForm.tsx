"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { ErrorAlert } from "@/components/ui/Alert";
import { login, register } from "@/lib/api/client";
import { ApiError, messageOf } from "@/lib/api/errors";
import { safeNext } from "@/lib/format";
import { useUser } from "./UserProvider";

interface Values {
  username: string;
  email: string;
  password: string;
  full_name: string;
}

type Errors = Partial<Record<keyof Values, string>>;

function validate(v: Values): Errors {
  const e: Errors = {};
  if (!/^[A-Za-z0-9_.-]{3,32}$/.test(v.username.trim())) {
    e.username = "3 to 32 letters, digits, '_', '.' or '-'";
  }
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v.email.trim())) e.email = "Enter a valid email address";
  if (v.password.length < 8) e.password = "At least 8 characters";
  if (v.full_name.length > 100) e.full_name = "At most 100 characters";
  return e;
}

export function RegisterForm() {
  const router = useRouter();
  const params = useSearchParams();
  const next = safeNext(params.get("next"));
  const { setUser } = useUser();
  const [values, setValues] = useState<Values>({ username: "", email: "", password: "", full_name: "" });
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    const found = validate(values);
    setErrors(found);
    if (Object.keys(found).length) {
      setError("Please fix the highlighted fields");
      return;
    }
    setBusy(true);
    try {
      await register({
        username: values.username.trim(),
        email: values.email.trim(),
        password: values.password,
        full_name: values.full_name.trim() || null,
      });
      const session = await login({ email: values.email.trim(), password: values.password });
      setUser(session.user);
      router.push(next);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError) {
        const fields = err.fieldErrors();
        setErrors(fields as Errors);
        setError(err.message || "Registration failed");
      } else {
        setError(messageOf(err));
      }
    }
  }

  const field = (key: keyof Values, label: string, type: string, autoComplete: string, hint?: string) => (
    <div>
      <label htmlFor={`reg-${key}`} className="label">
        {label}
      </label>
      <input
        id={`reg-${key}`}
        name={key}
        type={type}
        autoComplete={autoComplete}
        className="input"
        value={values[key]}
        onChange={(e) => setValues((v) => ({ ...v, [key]: e.target.value }))}
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={errors[key] ? `reg-${key}-error` : hint ? `reg-${key}-hint` : undefined}
      />
      {errors[key] ? (
        <p id={`reg-${key}-error`} className="field-error">
          {errors[key]}
        </p>
      ) : (
        hint && (
          <p id={`reg-${key}-hint`} className="mt-1 text-xs text-slate-500">
            {hint}
          </p>
        )
      )}
    </div>
  );

  return (
    <form onSubmit={onSubmit} noValidate aria-label="Create an account" className="card space-y-4">
      {error && <ErrorAlert message={error} />}
      {field("username", "Username", "text", "username", "3-32 letters, digits, '_', '.' or '-'")}
      {field("email", "Email", "email", "email")}
      {field("password", "Password", "password", "new-password", "At least 8 characters")}
      {field("full_name", "Full name (optional)", "text", "name")}
      <button type="submit" className="btn-primary w-full" disabled={busy}>
        {busy ? "Creating your account…" : "Create account"}
      </button>
      <p className="text-center text-sm text-slate-600">
        Already registered?{" "}
        <Link href={`/auth/login${next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`} className="font-semibold text-indigo-700">
          Sign in
        </Link>
      </p>
    </form>
  );
}
