"use client";
import { Suspense } from "react";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { ArrowLeft } from "lucide-react";
import { useSegment } from "@/entities/segment";
import { DeleteSegmentButton } from "@/features/segment-delete";
import { SegmentEditor } from "@/features/segment-editor";
import { errorMessage, isApiError } from "@/shared/api";
import { routes } from "@/shared/config";
import { ErrorState, Skeleton } from "@/shared/ui";

function Back({ id }: { id?: string }) {
  return (
    <Link href={id ? routes.segment(id) : routes.segments} className="mb-3 inline-flex items-center gap-1 text-xs font-medium text-slate-500 hover:text-slate-800">
      <ArrowLeft className="size-3.5" aria-hidden /> {id ? "Back to the segment" : "Segments"}
    </Link>
  );
}

function Edit({ id }: { id: string }) {
  const seg = useSegment(id);
  const router = useRouter();
  if (seg.isPending)
    return (
      <div className="space-y-4">
        <Skeleton className="h-7 w-72" />
        <Skeleton className="h-64 w-full" />
      </div>
    );
  if (seg.isError)
    return (
      <ErrorState
        error={isApiError(seg.error) && seg.error.status === 404 ? "This segment does not exist in this workspace (or it was deleted)." : errorMessage(seg.error)}
        onRetry={() => void seg.refetch()}
      />
    );
  return (
    <>
      <Back id={id} />
      <SegmentEditor
        key={seg.data.id}
        segment={seg.data}
        cancelHref={routes.segment(id)}
        actions={<DeleteSegmentButton segment={seg.data} onDeleted={() => router.replace(routes.segments)} />}
        onSaved={(s) => router.push(routes.segment(s.id))}
      />
    </>
  );
}

function Page() {
  const id = useSearchParams().get("id");
  const router = useRouter();
  if (id) return <Edit id={id} />;
  return (
    <>
      <Back />
      <SegmentEditor cancelHref={routes.segments} onSaved={(s) => router.push(routes.segment(s.id))} />
    </>
  );
}

/** The segment editor: /segments/edit for a new segment, ?id= to change one. */
export default function SegmentEditPage() {
  return (
    <Suspense>
      <Page />
    </Suspense>
  );
}
