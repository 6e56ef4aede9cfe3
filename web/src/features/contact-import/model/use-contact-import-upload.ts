"use client";
import { useEffect, useRef, useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { contactApi, isImportActive, useContactImport } from "@/entities/contact";
import { queryKeys } from "@/shared/api";

/**
 * Uploads a CSV file, then follows the import it queued: `sent` is the
 * upload's progress (0..1), `job` the import as polled every second until
 * it ends. The contacts list is refreshed when the import ends.
 */
export function useContactImportUpload() {
  const qc = useQueryClient();
  const [sent, setSent] = useState(0);
  const [importId, setImportId] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const upload = useMutation({
    mutationFn: (file: File) => {
      abort.current = new AbortController();
      setSent(0);
      return contactApi.uploadImport(file, setSent, abort.current.signal);
    },
    onSuccess: (imp) => {
      qc.setQueryData(queryKeys.contactImports.detail(imp.id), imp);
      setImportId(imp.id);
    },
  });
  const job = useContactImport(importId);
  const status = job.data?.status;
  const ended = !!status && !isImportActive(status);
  useEffect(() => {
    if (ended) void qc.invalidateQueries({ queryKey: queryKeys.contacts.all });
  }, [ended, qc]);
  const cancel = useMutation({
    mutationFn: () => contactApi.cancelImport(importId!),
    onSuccess: (imp) => qc.setQueryData(queryKeys.contactImports.detail(imp.id), imp),
  });
  return {
    upload,
    sent,
    job,
    cancel,
    /** Forgets the upload and the import followed (the import itself keeps running on the server). */
    reset: () => {
      abort.current?.abort();
      upload.reset();
      cancel.reset();
      setImportId(null);
      setSent(0);
    },
  };
}
