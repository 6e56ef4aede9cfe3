"use client";
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Plus } from "lucide-react";
import { apiKeyApi } from "@/entities/api-key";
import { errorMessage, queryKeys, type CreatedApiKey } from "@/shared/api";
import { Alert, Button, CopyField, Dialog, Field, Input } from "@/shared/ui";

/** The "Create API key" button and its dialog, which shows the new secret once. */
export function CreateApiKeyButton() {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [ingestOnly, setIngestOnly] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: () => apiKeyApi.create({ name: name.trim(), scopes: [ingestOnly ? "events:write" : "full"] }),
    onSuccess: (k) => {
      setCreated(k);
      void qc.invalidateQueries({ queryKey: queryKeys.apiKeys.all });
    },
  });
  const close = () => (setOpen(false), setCreated(null), setName(""), create.reset());
  return (
    <>
      <Button variant="primary" icon={<Plus className="size-4" />} onClick={() => setOpen(true)} data-testid="create-api-key">
        Create API key
      </Button>
      <Dialog
        open={open}
        onClose={close}
        title={created ? "Copy your new key" : "Create an API key"}
        description={created ? undefined : "For servers sending events or starting executions: Authorization: Bearer <key>."}
        footer={
          created ? (
            <Button variant="primary" onClick={close}>
              I have copied it
            </Button>
          ) : (
            <>
              <Button onClick={close}>Cancel</Button>
              <Button variant="primary" type="submit" form="create-key" loading={create.isPending} disabled={!name.trim()}>
                Create key
              </Button>
            </>
          )
        }
      >
        {created ? (
          <div className="space-y-3">
            <Alert tone="warning">This is the only time the secret is shown. Store it in your secret manager now.</Alert>
            <CopyField value={created.key} label="API key secret" testId="api-key-secret" />
          </div>
        ) : (
          <form id="create-key" className="space-y-4" onSubmit={(e: FormEvent) => (e.preventDefault(), create.mutate())}>
            {create.isError && <Alert>{errorMessage(create.error)}</Alert>}
            <Field label="Name" required hint="Where it is used, e.g. “Production backend”.">
              {(ids) => <Input {...ids} autoFocus value={name} onChange={(e) => setName(e.target.value)} data-testid="api-key-name" />}
            </Field>
            <label className="flex items-start gap-2 text-sm text-slate-700">
              <input type="checkbox" className="mt-0.5 size-4 accent-brand-600" checked={ingestOnly} onChange={(e) => setIngestOnly(e.target.checked)} />
              <span>
                Events only
                <span className="block text-xs text-slate-500">The key may send events and identify contacts, nothing else. Safer for client-side or third-party use.</span>
              </span>
            </label>
          </form>
        )}
      </Dialog>
    </>
  );
}
