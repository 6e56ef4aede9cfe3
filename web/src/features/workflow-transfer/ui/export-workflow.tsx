"use client";
import { useState } from "react";
import { Download } from "lucide-react";
import { workflowApi } from "@/entities/workflow";
import { errorMessage, type Workflow } from "@/shared/api";
import { Button, useToast } from "@/shared/ui";
import { fileNameOf } from "../lib/parse";

/** ExportWorkflowButton downloads a workflow's draft as a JSON file that Import reads back. */
export function ExportWorkflowButton({ workflow }: { workflow: Pick<Workflow, "id" | "name"> }) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      const body = await workflowApi.exportJson(workflow.id);
      const url = URL.createObjectURL(new Blob([JSON.stringify(body, null, 2) + "\n"], { type: "application/json" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = fileNameOf(workflow.name);
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      toast(`Export failed: ${errorMessage(e)}`, "error");
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button
      variant="ghost"
      size="sm"
      aria-label={`Export ${workflow.name}`}
      title="Export as JSON"
      loading={busy}
      onClick={() => void download()}
      data-testid={`export-workflow-${workflow.id}`}
    >
      <Download className="size-4" aria-hidden />
    </Button>
  );
}
