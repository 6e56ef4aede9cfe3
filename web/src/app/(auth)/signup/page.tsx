"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { AuthShell, SignupForm } from "@/features/auth";
import { routes } from "@/shared/config";

export default function SignupPage() {
  const router = useRouter();
  return (
    <AuthShell
      title="Create your workspace"
      subtitle="Start building durable customer journeys in minutes."
      footer={
        <>
          Already have an account?{" "}
          <Link href={routes.login} className="font-medium text-brand-600 hover:underline">
            Log in
          </Link>
        </>
      }
    >
      <SignupForm onDone={() => router.replace(routes.workflows)} />
    </AuthShell>
  );
}
