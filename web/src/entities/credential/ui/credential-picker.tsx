"use client";
import { useCredentials } from "../api/credential-api";

/**
 * A select of the workspace's credentials by name, for node configs that
 * name one (the webhook trigger's secretCredential). The value is never
 * shown: only the name is stored in the workflow.
 */
export function CredentialPicker({
  id,
  value,
  onChange,
  kind,
}: {
  id?: string;
  value: string;
  onChange: (name: string) => void;
  kind?: string;
}) {
  const creds = useCredentials();
  const items = (creds.data ?? []).filter((c) => !kind || c.kind === kind || c.kind === "generic" || c.name === value);
  return (
    <select
      id={id}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      className="block w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm text-slate-900 focus:border-brand-500 focus:ring-1 focus:ring-brand-500 focus:outline-none"
      data-testid="credential-picker"
    >
      <option value="">{creds.isPending ? "Loading credentials…" : "No credential"}</option>
      {items.map((c) => (
        <option key={c.name} value={c.name}>
          {c.name}
          {c.description ? ` — ${c.description}` : ""}
        </option>
      ))}
      {value && !items.some((c) => c.name === value) && <option value={value}>{value} (missing)</option>}
    </select>
  );
}
