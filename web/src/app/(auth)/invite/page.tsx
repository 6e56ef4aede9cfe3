"use client";
import { Suspense, useSyncExternalStore } from "react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useMe } from "@/entities/session";
import { AcceptInvitationForm, AuthShell } from "@/features/auth";
import { routes } from "@/shared/config";
import { Alert } from "@/shared/ui";

function subscribeHash(onChange: () => void) {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

function Invite() {
  const router = useRouter();
  // The server puts the token in the fragment (#token=…) so it never reaches a server log; ?token= also works.
  const hash = useSyncExternalStore(subscribeHash, () => window.location.hash, () => "");
  const query = useSearchParams().get("token");
  const token = new URLSearchParams(hash.replace(/^#/, "")).get("token") ?? query ?? "";
  const me = useMe();
  return (
    <AuthShell title="Join your team on NextFlow" subtitle="You were invited to a workspace.">
      {token ? (
        <AcceptInvitationForm token={token} signedInAs={me.data?.user.email} onDone={() => router.replace(routes.workflows)} />
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
