"use client";
import { useEffect } from "react";
import { useRouter } from "next/navigation";
import { Spinner } from "@/shared/ui";
import { routes } from "@/shared/config";

export default function Home() {
  const router = useRouter();
  useEffect(() => router.replace(routes.home), [router]);
  return (
    <main className="grid min-h-screen place-items-center">
      <Spinner />
    </main>
  );
}
