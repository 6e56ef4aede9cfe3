"use client";
import { useEventNames } from "@/entities/event";
import { WINDOWS } from "@/entities/analytics";
import { Input, Select } from "@/shared/ui";

/**
 * The goal of a conversion: an event name (the workspace's seen names are
 * offered, any name can be typed) and the window after entry in which it
 * counts.
 */
export function GoalPicker({ goal, within, onChange }: { goal: string; within: string; onChange: (patch: { goal?: string; within?: string }) => void }) {
  const names = useEventNames();
  const options = names.data ?? [];
  return (
    <div className="flex flex-wrap items-center gap-2 text-xs text-slate-600">
      <label htmlFor="goal-event" className="font-medium text-slate-700">
        Goal event
      </label>
      <Input
        id="goal-event"
        className="w-52 max-w-full"
        list="goal-event-options"
        autoComplete="off"
        placeholder={options[0] ?? "order.completed"}
        defaultValue={goal}
        key={goal}
        onBlur={(e) => e.target.value.trim() !== goal && onChange({ goal: e.target.value.trim() })}
        onKeyDown={(e) => {
          if (e.key === "Enter") onChange({ goal: e.currentTarget.value.trim() });
        }}
        onChange={(e) => {
          // Picking a suggestion applies it at once; typing applies on Enter or leaving the field.
          if (options.includes(e.target.value)) onChange({ goal: e.target.value });
        }}
        data-testid="goal-event"
      />
      <datalist id="goal-event-options" data-testid="goal-event-options">
        {options.map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
      <label htmlFor="goal-within" className="font-medium text-slate-700">
        within
      </label>
      <Select id="goal-within" className="w-28" value={within} onChange={(e) => onChange({ within: e.target.value })} data-testid="goal-within">
        {WINDOWS.map((w) => (
          <option key={w.value} value={w.value}>
            {w.label}
          </option>
        ))}
        {!WINDOWS.some((w) => w.value === within) && <option value={within}>{within}</option>}
      </Select>
      <span className="text-slate-500">after entry</span>
    </div>
  );
}
