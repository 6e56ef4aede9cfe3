"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { segmentApi, type SegmentWrite } from "@/entities/segment";
import { queryKeys } from "@/shared/api";
import { useToast } from "@/shared/ui";

/** Creates (no id) or replaces a segment; errors stay with the form, success is said in a toast. */
export function useSaveSegment(id?: string) {
  const qc = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (body: SegmentWrite) => (id ? segmentApi.replace(id, body) : segmentApi.create(body)),
    onSuccess: (s) => {
      toast(id ? `Saved ${s.name}. Its members are recomputed in the background.` : `Created ${s.name}. Its members are being computed.`);
      qc.setQueryData(queryKeys.segments.detail(s.id), s);
      void qc.invalidateQueries({ queryKey: queryKeys.segments.all });
    },
  });
}
