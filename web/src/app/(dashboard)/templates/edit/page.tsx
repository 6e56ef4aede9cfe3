"use client";
import { Suspense } from "react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { ArrowLeft } from "lucide-react";
import { useTemplate, type TemplateChannel } from "@/entities/message-template";
import { TemplateEditor } from "@/features/template-editor";
import { errorMessage } from "@/shared/api";
import { ErrorState, PageHeader, Skeleton } from "@/shared/ui";

function Editor() {
  const params = useSearchParams();
  const router = useRouter();
  const id = params.get("id") ?? undefined;
  const channel = (params.get("channel") as TemplateChannel | null) ?? undefined;
  const t = useTemplate(id);
  const back = (
    <Link href="/templates" className="inline-flex items-center gap-1 text-sm text-slate-600 hover:text-slate-900">
      <ArrowLeft className="size-4" /> Templates
    </Link>
  );
  if (id && t.isPending) return <Skeleton className="h-96" />;
  if (id && t.isError) return <ErrorState error={errorMessage(t.error)} onRetry={() => void t.refetch()} />;
  return (
    <>
      <PageHeader title={t.data?.name ?? "New template"} description={back} />
      <TemplateEditor
        key={t.data?.id ?? "new"}
        template={t.data}
        initialChannel={channel && ["email", "whatsapp", "messenger"].includes(channel) ? channel : "email"}
        onSaved={(saved) => !id && router.replace(`/templates/edit?id=${encodeURIComponent(saved.id)}`)}
      />
    </>
  );
}

export default function TemplateEditPage() {
  return (
    <Suspense>
      <Editor />
    </Suspense>
  );
}
