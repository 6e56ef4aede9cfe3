"use client";
import { Suspense, useEffect } from "react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useMe } from "@/entities/session";
import { AuthShell, LoginForm } from "@/features/auth";
import { routes } from "@/shared/config";

function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : routes.home;
}

function Login() {
  const router = useRouter();
  const next = safeNext(useSearchParams().get("next"));
  const me = useMe();
  // Already signed in (e.g. an old bookmark): go straight on.
  useEffect(() => {
    if (me.data) router.replace(next);
  }, [me.data, next, router]);
  return (
    <AuthShell
      title="Log in to NextFlow"
      subtitle="Welcome back."
      footer={
        <>
          New here?{" "}
          <Link href={routes.signup} className="font-medium text-brand-600 hover:underline">
            Create an account
          </Link>
        </>
      }
    >
      <LoginForm onDone={() => router.replace(next)} />
    </AuthShell>
  );
}

export default function LoginPage() {
  return (
    <Suspense>
      <Login />
    </Suspense>
  );
}
