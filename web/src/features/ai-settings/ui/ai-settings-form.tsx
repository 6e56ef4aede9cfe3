"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { aiApi } from "@/entities/ai";
import { errorMessage, queryKeys, type AISettings, type AISettingsUpdate } from "@/shared/api";
import { Alert, Button, Field, Input, Select, Switch, useToast } from "@/shared/ui";

const providers = [
  { value: "openai", label: "OpenAI-compatible (OpenAI, Azure, vLLM, Ollama…)" },
  { value: "anthropic", label: "Anthropic" },
  { value: "local", label: "Local (offline, deterministic — for development)" },
];

/**
 * AISettingsForm edits the workspace's AI provider, model, base URL,
 * write-only API key, monthly token budget and redaction. The key is never
 * shown: left empty it is kept. Remount it (key) to reset it to new
 * settings.
 */
export function AISettingsForm({ settings, canManage }: { settings: AISettings; canManage: boolean }) {
  const [provider, setProvider] = useState<string>(settings.provider || "openai");
  const [model, setModel] = useState(settings.model);
  const [baseUrl, setBaseUrl] = useState(settings.baseUrl);
  const [apiKey, setApiKey] = useState("");
  const [budget, setBudget] = useState(String(settings.monthlyTokenBudget || ""));
  const [redactPii, setRedactPii] = useState(settings.redactPii);
  const [redactFields, setRedactFields] = useState((settings.redactFields ?? []).join(", "));
  const qc = useQueryClient();
  const toast = useToast();
  const save = useMutation({
    mutationFn: () =>
      aiApi.saveSettings({
        provider: provider as AISettingsUpdate["provider"],
        model: model.trim(),
        baseUrl: provider === "local" ? "" : baseUrl.trim(),
        ...(apiKey ? { apiKey } : {}),
        monthlyTokenBudget: Number(budget) || 0,
        redactPii,
        redactFields: redactFields
          .split(",")
          .map((f) => f.trim())
          .filter(Boolean),
      }),
    onSuccess: () => {
      setApiKey("");
      void qc.invalidateQueries({ queryKey: queryKeys.ai.all });
      toast("AI settings saved");
    },
  });
  const local = provider === "local";
  return (
    <form
      className="grid gap-4 sm:grid-cols-2"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
      data-testid="ai-settings-form"
    >
      {save.isError && <Alert className="sm:col-span-2">{errorMessage(save.error)}</Alert>}
      <Field label="Provider" className="sm:col-span-2">
        {(ids) => (
        <Select {...ids} value={provider} onChange={(e) => setProvider(e.target.value)} disabled={!canManage} data-testid="ai-provider">
          {providers.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </Select>
        )}
      </Field>
      <Field label="Model" required={!local} hint={local ? "The local provider ignores the model." : "e.g. gpt-4o-mini, claude-haiku-4-5, llama3.1"}>
        {(ids) => (
        <Input {...ids} value={model} onChange={(e) => setModel(e.target.value)} disabled={!canManage} data-testid="ai-model" />
        )}
      </Field>
      <Field label="Base URL" hint={local ? "Not used by the local provider." : "Leave empty for the provider's public endpoint."}>
        {(ids) => (
        <Input {...ids} value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} disabled={!canManage || local} placeholder="https://api.openai.com/v1" data-testid="ai-base-url" />
        )}
      </Field>
      <Field label="API key" hint={settings.hasApiKey ? "A key is stored (never shown). Type a new one to replace it." : "Encrypted at rest and never shown again."}>
        {(ids) => (
        <Input {...ids}
          type="password"
          autoComplete="off"
          value={apiKey}
          onChange={(e) => setApiKey(e.target.value)}
          disabled={!canManage || local}
          placeholder={settings.hasApiKey ? "•••••••• stored" : ""}
          data-testid="ai-api-key"
        />
        )}
      </Field>
      <Field label="Monthly token budget" hint="Tokens in + out per calendar month (UTC). Empty or 0: no budget.">
        {(ids) => (
        <Input {...ids} type="number" min={0} value={budget} onChange={(e) => setBudget(e.target.value)} disabled={!canManage} data-testid="ai-budget" />
        )}
      </Field>
      <Field label="Redacted fields" hint="Contact attributes or JSON fields whose values are blanked from recorded prompts and answers, comma separated." className="sm:col-span-2">
        {(ids) => (
        <Input {...ids} value={redactFields} onChange={(e) => setRedactFields(e.target.value)} disabled={!canManage} placeholder="email, phone, address" data-testid="ai-redact-fields" />
        )}
      </Field>
      <div className="flex items-center gap-3 sm:col-span-2">
        <Switch checked={redactPii} onChange={setRedactPii} label="Redact emails and phone numbers" disabled={!canManage} data-testid="ai-redact-pii" />
        <span className="text-sm text-slate-700">Blank email addresses and phone numbers from recorded prompts and answers</span>
      </div>
      {canManage && (
        <div className="sm:col-span-2">
          <Button type="submit" variant="primary" loading={save.isPending} data-testid="ai-save">
            Save AI settings
          </Button>
        </div>
      )}
    </form>
  );
}
