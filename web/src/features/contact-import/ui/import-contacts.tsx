"use client";
import { useState, type FormEvent } from "react";
import { CheckCircle2, FileUp, Upload } from "lucide-react";
import { isImportActive, type ContactImport } from "@/entities/contact";
import { errorMessage } from "@/shared/api";
import { cn } from "@/shared/lib";
import { Alert, Badge, Button, Dialog } from "@/shared/ui";
import { useContactImportUpload } from "../model/use-contact-import-upload";

const fmt = new Intl.NumberFormat();

function Bar({ value, tone = "brand", label, testId }: { value: number; tone?: "brand" | "red" | "green"; label: string; testId?: string }) {
  const pct = Math.max(0, Math.min(100, Math.round(value * 100)));
  return (
    <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} className="h-2 w-full overflow-hidden rounded-full bg-slate-100" data-testid={testId}>
      <div
        className={cn("h-full rounded-full transition-[width] duration-500", tone === "red" ? "bg-red-500" : tone === "green" ? "bg-emerald-500" : "bg-brand-600")}
        style={{ width: `${pct}%` }}
      />
    </div>
  );
}

const statusTone = { completed: "green", failed: "red", cancelled: "gray", running: "blue", pending: "blue", uploading: "blue" } as const;

function Progress({ job }: { job: ContactImport }) {
  const active = isImportActive(job.status);
  const errors = job.errors ?? [];
  return (
    <div className="space-y-3" data-testid="import-progress" data-status={job.status}>
      <div className="flex items-center justify-between gap-2 text-sm">
        <span className="min-w-0 truncate font-medium text-slate-800">{job.filename || "contacts.csv"}</span>
        <Badge tone={statusTone[job.status as keyof typeof statusTone] ?? "gray"}>{job.status}</Badge>
      </div>
      <Bar value={job.progress} tone={job.status === "failed" ? "red" : job.status === "completed" ? "green" : "brand"} label="Import progress" />
      <p className="text-xs text-slate-500">
        {fmt.format(job.rowsDone)} of {job.totalRows ? fmt.format(job.totalRows) : "?"} rows · {fmt.format(job.rowsCreated)} created · {fmt.format(job.rowsUpdated)} updated ·{" "}
        <span className={job.rowsFailed ? "font-medium text-red-700" : undefined}>{fmt.format(job.rowsFailed)} refused</span>
        {active && " · you may close this: the import keeps running"}
      </p>
      {job.error && <Alert>{job.error}</Alert>}
      {job.status === "completed" && job.rowsFailed === 0 && (
        <Alert tone="success">
          <span className="inline-flex items-center gap-1.5">
            <CheckCircle2 className="size-4" aria-hidden /> Every row was imported.
          </span>
        </Alert>
      )}
      {errors.length > 0 && (
        <div>
          <h3 className="mb-1 text-xs font-semibold text-slate-700">
            Refused rows{job.rowsFailed > errors.length ? ` (first ${errors.length} of ${fmt.format(job.rowsFailed)})` : ""}
          </h3>
          <ol className="max-h-48 divide-y divide-slate-100 overflow-y-auto rounded-md border border-slate-200 text-xs" data-testid="import-errors">
            {errors.map((e) => (
              <li key={e.row} className="flex gap-3 px-2.5 py-1.5">
                <span className="w-14 shrink-0 font-mono text-slate-500">row {e.row}</span>
                <span className="min-w-0 break-words text-slate-800">{e.message}</span>
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}

/** The "Import CSV" button and its dialog: choose a file, upload it, follow the import to the end with its refused rows. */
export function ImportContactsButton({ disabled }: { disabled?: boolean }) {
  const [open, setOpen] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const { upload, sent, job, cancel, reset } = useContactImportUpload();
  const imp = job.data;
  const close = () => (setOpen(false), setFile(null), reset());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file) upload.mutate(file);
  };
  return (
    <>
      <Button
        icon={<Upload className="size-4" />}
        onClick={() => setOpen(true)}
        disabled={disabled}
        title={disabled ? "Your role may not change contacts." : undefined}
        data-testid="import-contacts"
      >
        Import CSV
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title="Import contacts"
        description="A UTF-8 CSV file whose first row names the columns. Rows match existing contacts by externalId, else email."
        footer={
          imp ? (
            <>
              {isImportActive(imp.status) && (
                <Button variant="danger" onClick={() => cancel.mutate()} loading={cancel.isPending}>
                  Stop import
                </Button>
              )}
              <Button variant="primary" onClick={close} data-testid="import-close">
                {isImportActive(imp.status) ? "Close" : "Done"}
              </Button>
            </>
          ) : (
            <>
              <Button onClick={close}>Cancel</Button>
              <Button variant="primary" type="submit" form="import-contacts" loading={upload.isPending} disabled={!file} data-testid="import-submit">
                Upload and import
              </Button>
            </>
          )
        }
      >
        {imp ? (
          <Progress job={imp} />
        ) : (
          <form id="import-contacts" className="space-y-3" onSubmit={submit}>
            {upload.isError && <Alert>{errorMessage(upload.error)}</Alert>}
            <label
              onDragOver={(e) => e.preventDefault()}
              onDrop={(e) => {
                e.preventDefault();
                const f = e.dataTransfer.files?.[0];
                if (f) setFile(f);
              }}
              className={cn(
                "flex cursor-pointer flex-col items-center gap-1 rounded-lg border-2 border-dashed px-4 py-6 text-center",
                file ? "border-brand-300 bg-brand-50/40" : "border-slate-300 hover:border-slate-400",
              )}
            >
              <FileUp className="size-6 text-slate-400" aria-hidden />
              <span className="text-sm font-medium break-all text-slate-800">{file ? file.name : "Choose a CSV file"}</span>
              <span className="text-xs text-slate-500">{file ? `${fmt.format(Math.ceil(file.size / 1024))} KiB` : "or drop it here"}</span>
              <input
                type="file"
                accept=".csv,text/csv"
                className="sr-only"
                onChange={(e) => setFile(e.target.files?.[0] ?? null)}
                data-testid="import-file"
              />
            </label>
            {upload.isPending && (
              <div className="space-y-1">
                <Bar value={sent} label="Upload progress" testId="upload-progress" />
                <p className="text-xs text-slate-500">Uploading… {Math.round(sent * 100)}%</p>
              </div>
            )}
            <p className="text-xs leading-5 text-slate-500">
              Columns map by name: <code className="font-mono">externalId</code> (or userId, id), <code className="font-mono">email</code>,{" "}
              <code className="font-mono">phone</code>, <code className="font-mono">name</code> (or first_name, last_name), <code className="font-mono">timezone</code>,{" "}
              <code className="font-mono">locale</code>, <code className="font-mono">email_subscribed</code>… Any other column becomes an attribute.
            </p>
          </form>
        )}
      </Dialog>
    </>
  );
}
