"use client";
import { Suspense } from "react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { AcceptInvitationForm, AuthShell } from "@/features/auth";
import { routes } from "@/shared/config";
import { Alert } from "@/shared/ui";

function Invite() {
  const router = useRouter();
  const token = useSearchParams().get("token") ?? "";
  return (
    <AuthShell title="Join your team on NextFlow" subtitle="You were invited to a workspace.">
      {token ? (
        <AcceptInvitationForm token={token} onDone={() => router.replace(routes.workflows)} />
      ) : (
        <div className="space-y-3">
          <Alert tone="warning">This invitation link is incomplete. Open the full link from your invitation email.</Alert>
          <Link href={routes.login} className="text-sm font-medium text-brand-600 hover:underline">
            Go to log in
          </Link>
        </div>
      )}
    </AuthShell>
  );
}

export default function InvitePage() {
  return (
    <Suspense>
      <Invite />
    </Suspense>
  );
}
