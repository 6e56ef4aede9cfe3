"use client";
import { useState, type ReactNode } from "react";
import { Plus, Search, SlidersHorizontal, Trash2, X } from "lucide-react";
import { CHANNELS } from "@/entities/contact";
import { Badge, Button, Input, Select } from "@/shared/ui";
import { ATTRIBUTE_OPS, activeFilterCount, emptyContactFilter, type AttributeOp, type ContactFilter, type DateRange, type SubscriptionState } from "../model/filter";

const label = "block text-xs font-medium text-slate-700";

function Dates({ title, value, onChange, testId }: { title: string; value: DateRange; onChange: (v: DateRange) => void; testId: string }) {
  return (
    <fieldset className="min-w-0 space-y-1">
      <legend className={label}>{title}</legend>
      <div className="flex items-center gap-1.5">
        <Input type="date" aria-label={`${title} from`} value={value.from} onChange={(e) => onChange({ ...value, from: e.target.value })} data-testid={`${testId}-from`} />
        <span className="text-xs text-slate-400">to</span>
        <Input type="date" aria-label={`${title} to`} value={value.to} onChange={(e) => onChange({ ...value, to: e.target.value })} data-testid={`${testId}-to`} />
      </div>
    </fieldset>
  );
}

/**
 * The contacts list's search box and filters: attribute conditions
 * (key, comparison, value; ANDed), consent on a channel, and created /
 * last-seen date ranges. The caller owns the value and maps it with
 * toContactQuery.
 */
export function ContactFilterBar({ value, onChange, actions }: { value: ContactFilter; onChange: (f: ContactFilter) => void; actions?: ReactNode }) {
  const [open, setOpen] = useState(false);
  const count = activeFilterCount(value);
  const set = (patch: Partial<ContactFilter>) => onChange({ ...value, ...patch });
  const setAttr = (i: number, patch: Partial<ContactFilter["attributes"][number]>) =>
    set({ attributes: value.attributes.map((a, j) => (j === i ? { ...a, ...patch } : a)) });
  return (
    <div className="border-b border-slate-200">
      <div className="flex flex-wrap items-center gap-2 p-3">
        <label className="relative min-w-0 flex-1 sm:max-w-80">
          <span className="sr-only">Search contacts</span>
          <Search className="pointer-events-none absolute top-2 left-2.5 size-4 text-slate-400" aria-hidden />
          <Input className="pl-8" placeholder="Name, email or external ID…" value={value.q} onChange={(e) => set({ q: e.target.value })} data-testid="contact-search" />
        </label>
        <Button
          icon={<SlidersHorizontal className="size-4" />}
          aria-expanded={open}
          onClick={() => setOpen((o) => !o)}
          data-testid="contact-filters-toggle"
        >
          Filters
          {count > 0 && <Badge tone="blue">{count}</Badge>}
        </Button>
        {count > 0 && (
          <Button variant="ghost" icon={<X className="size-4" />} onClick={() => onChange({ ...emptyContactFilter, q: value.q })}>
            Clear
          </Button>
        )}
        {actions && <div className="ml-auto flex items-center gap-2">{actions}</div>}
      </div>
      {open && (
        <div className="grid gap-4 border-t border-slate-100 bg-slate-50/60 p-3 lg:grid-cols-[minmax(0,1.4fr)_minmax(0,1fr)]" data-testid="contact-filters">
          <fieldset className="min-w-0 space-y-1.5">
            <legend className={label}>Attributes</legend>
            {value.attributes.length === 0 && <p className="text-xs text-slate-500">Match on attributes such as plan = pro or age ≥ 30. Dots reach nested keys (address.city).</p>}
            {value.attributes.map((a, i) => (
              <div key={i} className="flex min-w-0 items-center gap-1.5">
                <Input className="w-auto min-w-0 flex-1 font-mono text-xs" aria-label="Attribute key" placeholder="plan" value={a.key} onChange={(e) => setAttr(i, { key: e.target.value })} data-testid={`attr-key-${i}`} />
                <Select className="w-20 shrink-0" aria-label="Comparison" value={a.op} onChange={(e) => setAttr(i, { op: e.target.value as AttributeOp })} data-testid={`attr-op-${i}`}>
                  {ATTRIBUTE_OPS.map(([op, sign]) => (
                    <option key={op} value={op}>
                      {sign}
                    </option>
                  ))}
                </Select>
                <Input
                  className="w-auto min-w-0 flex-1"
                  aria-label="Value"
                  placeholder={a.op === "exists" ? "—" : "pro"}
                  disabled={a.op === "exists"}
                  value={a.op === "exists" ? "" : a.value}
                  onChange={(e) => setAttr(i, { value: e.target.value })}
                  data-testid={`attr-value-${i}`}
                />
                <button
                  type="button"
                  aria-label="Remove condition"
                  className="rounded p-1.5 text-slate-400 hover:bg-slate-100 hover:text-slate-600"
                  onClick={() => set({ attributes: value.attributes.filter((_, j) => j !== i) })}
                >
                  <Trash2 className="size-3.5" />
                </button>
              </div>
            ))}
            <Button size="sm" variant="ghost" icon={<Plus className="size-3.5" />} onClick={() => set({ attributes: [...value.attributes, { key: "", op: "eq", value: "" }] })} data-testid="attr-add">
              Add condition
            </Button>
          </fieldset>
          <div className="min-w-0 space-y-3">
            <fieldset className="min-w-0 space-y-1">
              <legend className={label}>Subscription</legend>
              <div className="flex items-center gap-1.5">
                <Select aria-label="Channel" value={value.subscription.channel} onChange={(e) => set({ subscription: { ...value.subscription, channel: e.target.value } })}>
                  {CHANNELS.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </Select>
                <Select
                  aria-label="State"
                  value={value.subscription.state}
                  onChange={(e) => set({ subscription: { ...value.subscription, state: e.target.value as SubscriptionState | "" } })}
                  data-testid="subscription-state"
                >
                  <option value="">any state</option>
                  <option value="subscribed">subscribed</option>
                  <option value="unsubscribed">unsubscribed</option>
                  <option value="never">never asked</option>
                </Select>
              </div>
            </fieldset>
            <Dates title="Created" value={value.created} onChange={(created) => set({ created })} testId="created" />
            <Dates title="Last seen" value={value.lastSeen} onChange={(lastSeen) => set({ lastSeen })} testId="last-seen" />
          </div>
        </div>
      )}
    </div>
  );
}
