"use client";
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useContacts, contactLabel } from "@/entities/contact";
import {
  TEMPLATE_CHANNELS,
  contentFor,
  emptyContent,
  templateApi,
  templateFieldErrors,
  templateKeys,
  type MessageTemplate,
  type TemplateChannel,
  type TemplateContent,
} from "@/entities/message-template";
import { errorMessage, isApiError } from "@/shared/api";
import { Alert, Button, Card, CardHeader, Field, Input, Select, Spinner, Textarea, useToast } from "@/shared/ui";
import { useTemplatePreview } from "../model/use-preview";

export interface TemplateEditorProps {
  /** The template to edit; absent for a new one. */
  template?: MessageTemplate;
  /** The channel a new template starts on. */
  initialChannel?: TemplateChannel;
  /** Called with the saved template. */
  onSaved?: (t: MessageTemplate) => void;
}

const mono = "font-mono text-xs";

/** The template editor: the channel's Liquid fields on the left, a live preview for a chosen contact and sample event on the right. */
export function TemplateEditor({ template, initialChannel = "email", onSaved }: TemplateEditorProps) {
  const [channel, setChannel] = useState<TemplateChannel>(template?.channel ?? initialChannel);
  const [name, setName] = useState(template?.name ?? "");
  const [description, setDescription] = useState(template?.description ?? "");
  const [content, setContent] = useState<TemplateContent>(template?.content ?? emptyContent(template?.channel ?? initialChannel));
  const [waMode, setWaMode] = useState<"text" | "template">(template?.content.templateName ? "template" : "text");
  const [contactId, setContactId] = useState("");
  const [eventText, setEventText] = useState('{\n  "name": "signed_up",\n  "properties": { "plan": "pro" }\n}');
  const contacts = useContacts({});
  const contactList = contacts.data?.pages.flatMap((p) => p.items ?? []) ?? [];
  const qc = useQueryClient();
  const toast = useToast();
  const sent: TemplateContent = channel === "whatsapp" && waMode === "text" ? { ...content, templateName: undefined } : content;
  const preview = useTemplatePreview(channel, sent, contactId, eventText);
  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), description: description.trim(), content: contentFor(channel, sent) };
      return template ? templateApi.replace(template.id, body) : templateApi.create({ ...body, channel });
    },
    onSuccess: (t) => {
      toast(`Template “${t.name}” saved.`);
      void qc.invalidateQueries({ queryKey: templateKeys.all });
      onSaved?.(t);
    },
  });
  const saveErrors = isApiError(save.error) ? templateFieldErrors(save.error.problem.errors) : {};
  const previewErrors = isApiError(preview.error) ? templateFieldErrors(preview.error.problem.errors) : {};
  const err = (f: string) => saveErrors[f] ?? previewErrors[f];
  const set = (k: keyof TemplateContent) => (e: { target: { value: string } }) => setContent({ ...content, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const params = content.parameters ?? [];
  const r = preview.data;
  return (
    <div className="grid gap-5 lg:grid-cols-2">
      <Card>
        <CardHeader title="Content" description="Liquid: {{ contact.name }}, {{ event.properties.plan }}, {% if … %}. HTML output is escaped." />
        <form id="template-form" className="space-y-4 p-4" onSubmit={submit} noValidate>
          {save.isError && <Alert>{errorMessage(save.error)}</Alert>}
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Name" required error={saveErrors.name}>
              {(ids) => <Input {...ids} value={name} placeholder="Welcome email" onChange={(e) => setName(e.target.value)} />}
            </Field>
            <Field label="Channel" required hint={template ? "A saved template keeps its channel" : undefined}>
              {(ids) => (
                <Select
                  {...ids}
                  value={channel}
                  disabled={Boolean(template)}
                  onChange={(e) => {
                    const c = e.target.value as TemplateChannel;
                    setChannel(c);
                    setContent(emptyContent(c));
                  }}
                >
                  {TEMPLATE_CHANNELS.map((c) => (
                    <option key={c.value} value={c.value}>
                      {c.label}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
          </div>
          <Field label="Description">{(ids) => <Input {...ids} value={description} onChange={(e) => setDescription(e.target.value)} />}</Field>
          {channel === "email" && (
            <>
              <Field label="Subject" required error={err("subject")}>
                {(ids) => <Input {...ids} className={mono} value={content.subject ?? ""} onChange={set("subject")} />}
              </Field>
              <Field label="Preheader" hint="The line inboxes show after the subject" error={err("preheader")}>
                {(ids) => <Input {...ids} className={mono} value={content.preheader ?? ""} onChange={set("preheader")} />}
              </Field>
              <Field label="HTML body" error={err("html")}>
                {(ids) => <Textarea {...ids} rows={9} className={mono} value={content.html ?? ""} onChange={set("html")} />}
              </Field>
              <Field label="Text body" hint="The plain-text part; mail clients without HTML show it" error={err("text")}>
                {(ids) => <Textarea {...ids} rows={5} className={mono} value={content.text ?? ""} onChange={set("text")} />}
              </Field>
            </>
          )}
          {channel === "whatsapp" && (
            <fieldset className="flex flex-wrap gap-4 text-sm text-slate-700">
              <legend className="mb-1 text-xs font-medium text-slate-700">Message</legend>
              <label className="inline-flex items-center gap-1.5">
                <input type="radio" name="wa-mode" checked={waMode === "text"} onChange={() => setWaMode("text")} /> Text (within 24 h of the contact&apos;s last message)
              </label>
              <label className="inline-flex items-center gap-1.5">
                <input type="radio" name="wa-mode" checked={waMode === "template"} onChange={() => setWaMode("template")} /> Approved template (any time)
              </label>
            </fieldset>
          )}
          {channel === "whatsapp" && waMode === "template" ? (
            <>
              <div className="grid gap-3 sm:grid-cols-2">
                <Field label="Template name" required hint="As approved in WhatsApp Manager" error={err("templateName")}>
                  {(ids) => <Input {...ids} className={mono} value={content.templateName ?? ""} placeholder="order_update" onChange={set("templateName")} />}
                </Field>
                <Field label="Language" required error={err("language")}>
                  {(ids) => <Input {...ids} className={mono} value={content.language ?? ""} placeholder="en_US" onChange={set("language")} />}
                </Field>
              </div>
              <div className="space-y-2">
                <p className="text-xs font-medium text-slate-700">Body parameters {"{{1}}"}, {"{{2}}"}, … (Liquid each)</p>
                {params.map((p, i) => (
                  <div key={i} className="flex items-start gap-2">
                    <Field label={`{{${i + 1}}}`} className="flex-1" error={err(`parameters[${i}]`)}>
                      {(ids) => (
                        <Input {...ids} className={mono} value={p} onChange={(e) => setContent({ ...content, parameters: params.map((x, j) => (j === i ? e.target.value : x)) })} />
                      )}
                    </Field>
                    <Button size="sm" variant="ghost" className="mt-5" aria-label={`Remove parameter ${i + 1}`} onClick={() => setContent({ ...content, parameters: params.filter((_, j) => j !== i) })}>
                      Remove
                    </Button>
                  </div>
                ))}
                <Button size="sm" onClick={() => setContent({ ...content, parameters: [...params, ""] })}>
                  Add parameter
                </Button>
              </div>
            </>
          ) : (
            channel !== "email" && (
              <Field label="Text" required error={err("text")}>
                {(ids) => <Textarea {...ids} rows={6} className={mono} value={content.text ?? ""} onChange={set("text")} />}
              </Field>
            )
          )}
          <div className="flex justify-end">
            <Button variant="primary" type="submit" loading={save.isPending}>
              {template ? "Save template" : "Create template"}
            </Button>
          </div>
        </form>
      </Card>
      <Card className="lg:sticky lg:top-4 lg:self-start" data-testid="template-preview">
        <CardHeader title="Preview" description="Rendered by the server as it would be sent" actions={preview.isFetching ? <Spinner label="Rendering" /> : undefined} />
        <div className="space-y-4 p-4">
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Contact" hint={contactList.length === 0 ? "No contacts yet: contact.* fields render empty" : undefined}>
              {(ids) => (
                <Select {...ids} value={contactId} onChange={(e) => setContactId(e.target.value)}>
                  <option value="">No contact</option>
                  {contactList.map((c) => (
                    <option key={c.id} value={c.id}>
                      {contactLabel(c)}
                    </option>
                  ))}
                </Select>
              )}
            </Field>
            <Field label="Sample event (JSON)" error={preview.eventError}>
              {(ids) => <Textarea {...ids} rows={5} className={mono} value={eventText} onChange={(e) => setEventText(e.target.value)} />}
            </Field>
          </div>
          {preview.isError && !preview.eventError && <Alert>This does not render yet: {errorMessage(preview.error)}</Alert>}
          {r && (
            <div className="space-y-3" data-testid="preview-output">
              {channel === "email" && (
                <div className="rounded-md border border-slate-200 text-sm">
                  <p className="border-b border-slate-100 px-3 py-2">
                    <span className="text-slate-500">Subject: </span>
                    <span className="font-medium text-slate-900" data-testid="preview-subject">
                      {r.subject}
                    </span>
                  </p>
                  {r.preheader && <p className="border-b border-slate-100 px-3 py-1.5 text-xs text-slate-500">{r.preheader}</p>}
                  <iframe title="HTML preview" sandbox="" srcDoc={r.html ?? ""} className="h-72 w-full bg-white" />
                </div>
              )}
              {r.text && (
                <div>
                  <p className="mb-1 text-xs font-medium text-slate-700">{channel === "email" ? "Text part" : "Message"}</p>
                  <pre className="whitespace-pre-wrap rounded-md bg-slate-50 p-3 text-sm text-slate-800" data-testid="preview-text">
                    {r.text}
                  </pre>
                </div>
              )}
              {r.parameters && r.parameters.length > 0 && (
                <ol className="list-decimal space-y-1 pl-6 text-sm text-slate-800">
                  {r.parameters.map((p, i) => (
                    <li key={i}>{p}</li>
                  ))}
                </ol>
              )}
            </div>
          )}
        </div>
      </Card>
    </div>
  );
}
