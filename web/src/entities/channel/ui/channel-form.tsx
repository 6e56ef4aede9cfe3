"use client";
import { useState, type FormEvent } from "react";
import type { ApiError } from "@/shared/api";
import { Alert, Button, Field, Input, Select } from "@/shared/ui";
import { CHANNEL_KINDS, channelKinds, type ChannelConnection, type ChannelKind } from "../model/kinds";

/** What the channel form submits: config fields as typed, secrets typed this time (others unchanged). */
export interface ChannelFormValue {
  kind: ChannelKind;
  name: string;
  smtpUrl: string;
  config: Record<string, string>;
  secrets: Record<string, string>;
}

export interface ChannelFormProps {
  id: string;
  /** The connection being edited; absent when connecting a new one. */
  existing?: ChannelConnection;
  error?: ApiError | null;
  otherError?: string | null;
  onSubmit: (v: ChannelFormValue) => void;
}

/** The problem's message for a field, by its JSON location (body.config.host, body.secrets.password, …). */
function fieldError(err: ApiError | null | undefined, path: string): string | undefined {
  return err?.problem.errors?.find((e) => e.location === `body.${path}` || e.location === path || e.location?.endsWith(`.${path}`))?.message;
}

/** The fields of a channel connection: kind, name, the kind's settings and its write-only secrets. */
export function ChannelForm({ id, existing, error, otherError, onSubmit }: ChannelFormProps) {
  const [kind, setKind] = useState<ChannelKind>(existing?.kind ?? "email");
  const [name, setName] = useState(existing?.name ?? "");
  const [smtpUrl, setSmtpUrl] = useState("");
  const [useUrl, setUseUrl] = useState(false);
  const [tls, setTls] = useState<string>(existing?.config.tls ?? "mandatory");
  const [config, setConfig] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(existing?.config ?? {}).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, String(v)])),
  );
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [replacing, setReplacing] = useState<Record<string, boolean>>({});
  const k = channelKinds[kind];
  const set = new Set(existing?.secretsSet ?? []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const cfg = kind === "email" ? { ...config, tls } : config;
    onSubmit({ kind, name: name.trim(), smtpUrl: useUrl ? smtpUrl.trim() : "", config: cfg, secrets });
  };
  const top = error && !(error.problem.errors?.length ?? 0) ? error.message : otherError;
  return (
    <form id={id} className="space-y-4" onSubmit={submit} noValidate>
      {top && <Alert>{top}</Alert>}
      {error && (error.problem.errors?.length ?? 0) > 0 && <Alert>Some settings need a change: see the fields marked below.</Alert>}
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Kind" required>
          {(ids) => (
            <Select {...ids} value={kind} disabled={Boolean(existing)} onChange={(e) => (setKind(e.target.value as ChannelKind), setConfig({}), setSecrets({}))}>
              {CHANNEL_KINDS.map((c) => (
                <option key={c} value={c}>
                  {channelKinds[c].label}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field label="Name" required error={fieldError(error, "name")} hint="Send steps pick a connection by this name">
          {(ids) => <Input {...ids} value={name} placeholder={kind === "email" ? "Transactional email" : kind === "whatsapp" ? "Support WhatsApp" : "Brand page"} onChange={(e) => setName(e.target.value)} />}
        </Field>
      </div>
      {kind === "email" && (
        <fieldset className="flex flex-wrap gap-4 text-sm text-slate-700">
          <legend className="sr-only">How to enter the SMTP server</legend>
          <label className="inline-flex items-center gap-1.5">
            <input type="radio" name={`${id}-mode`} checked={!useUrl} onChange={() => setUseUrl(false)} /> Host and port
          </label>
          <label className="inline-flex items-center gap-1.5">
            <input type="radio" name={`${id}-mode`} checked={useUrl} onChange={() => setUseUrl(true)} /> SMTP URL
          </label>
        </fieldset>
      )}
      {kind === "email" && useUrl && (
        <Field label="SMTP URL" required error={fieldError(error, "smtpUrl")} hint="smtp://user:password@host:587 or smtps://user:password@host:465; the password is stored encrypted">
          {(ids) => <Input {...ids} type="password" autoComplete="off" value={smtpUrl} onChange={(e) => setSmtpUrl(e.target.value)} />}
        </Field>
      )}
      <div className="grid gap-3 sm:grid-cols-2">
        {k.config
          .filter((f) => !(useUrl && kind === "email" && ["host", "port", "username"].includes(f.key)))
          .map((f) => (
            <Field key={f.key} label={f.label} required={f.required} hint={f.hint} error={fieldError(error, `config.${f.key}`)}>
              {(ids) => <Input {...ids} type={f.type ?? "text"} autoComplete="off" value={config[f.key] ?? ""} onChange={(e) => setConfig({ ...config, [f.key]: e.target.value })} />}
            </Field>
          ))}
        {kind === "email" && (
          <Field label="TLS" error={fieldError(error, "config.tls")} hint="STARTTLS is required unless you choose otherwise">
            {(ids) => (
              <Select {...ids} value={tls} onChange={(e) => setTls(e.target.value)}>
                <option value="mandatory">STARTTLS (required)</option>
                <option value="implicit">Implicit TLS (port 465)</option>
                <option value="opportunistic">STARTTLS when offered</option>
                <option value="none">None (unencrypted)</option>
              </Select>
            )}
          </Field>
        )}
      </div>
      {!(kind === "email" && useUrl) && (
        <div className="space-y-3 rounded-md border border-slate-200 bg-slate-50/60 p-3">
          <p className="text-xs text-slate-500">Secrets are stored encrypted and never shown again.</p>
          {k.secrets.map((s) =>
            set.has(s.key) && !replacing[s.key] ? (
              <div key={s.key} className="flex items-center justify-between gap-2 text-sm">
                <span className="text-slate-700">
                  {s.label}: <span className="font-medium text-emerald-700">set</span>
                </span>
                <Button size="sm" type="button" onClick={() => setReplacing({ ...replacing, [s.key]: true })}>
                  Replace
                </Button>
              </div>
            ) : (
              <Field key={s.key} label={s.label} hint={s.hint} error={fieldError(error, `secrets.${s.key}`)}>
                {(ids) => <Input {...ids} type="password" autoComplete="new-password" value={secrets[s.key] ?? ""} onChange={(e) => setSecrets({ ...secrets, [s.key]: e.target.value })} />}
              </Field>
            ),
          )}
        </div>
      )}
    </form>
  );
}

/** Turns the form's value into config the API takes: numbers as numbers, blanks left out. */
export function channelConfigOf(v: ChannelFormValue): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, val] of Object.entries(v.config)) {
    if (val === "" || val === undefined) continue;
    out[key] = key === "port" || key === "messagesPerSecond" ? Number(val) : val;
  }
  return out;
}
