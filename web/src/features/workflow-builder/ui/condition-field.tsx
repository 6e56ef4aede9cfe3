"use client";
import { useContext, useMemo } from "react";
import { useContacts } from "@/entities/contact";
import { useEventNames } from "@/entities/event";
import { contextFields } from "../lib/context-fields";
import { BuilderStoreContext } from "../model/context";
import type { BuilderStore } from "../model/store";
import { ConditionBuilder, type ConditionBuilderProps } from "./condition-builder";

type Props = Omit<ConditionBuilderProps, "fields">;

/**
 * ConditionField is the condition builder inside the workflow builder: it
 * offers the paths of the open journey's context (its trigger, the steps
 * before the selected condition, the attribute names seen on contacts).
 * Outside a builder it offers the contact's standard fields only.
 */
export function ConditionField(props: Props) {
  const store = useContext(BuilderStoreContext);
  if (!store) return <ConditionBuilder {...props} fields={contextFields("", [], [])} />;
  return <InBuilder store={store} {...props} />;
}

function InBuilder({ store, ...props }: Props & { store: BuilderStore }) {
  const nodes = store((s) => s.nodes);
  const edges = store((s) => s.edges);
  const contacts = useContacts({});
  const hasEventTrigger = nodes.some((n) => n.data.type === "trigger.event");
  void useEventNames({ enabled: hasEventTrigger });
  const attributes = useMemo(() => {
    const keys = new Set<string>();
    for (const c of contacts.data?.pages[0]?.items ?? []) for (const k of Object.keys(c.attributes ?? {})) keys.add(k);
    return [...keys];
  }, [contacts.data]);
  const nodeId = nodes.find((n) => n.selected)?.id ?? "";
  const fields = useMemo(() => contextFields(nodeId, nodes, edges, { attributes }), [nodeId, nodes, edges, attributes]);
  return <ConditionBuilder {...props} fields={fields} />;
}
