import {
  Bot,
  Braces,
  Clock,
  Filter,
  Flag,
  GitBranch,
  Globe,
  Hourglass,
  Mail,
  MessageCircle,
  MessagesSquare,
  MousePointerClick,
  PenLine,
  Shuffle,
  Sparkles,
  Tags,
  Webhook,
  Zap,
  type LucideIcon,
} from "lucide-react";

const icons: Record<string, LucideIcon> = {
  "trigger.manual": MousePointerClick,
  "trigger.webhook": Webhook,
  "trigger.event": Zap,
  "trigger.schedule": Clock,
  "trigger.segment": Filter,
  "email.send": Mail,
  "whatsapp.send": MessageCircle,
  "messenger.send": MessagesSquare,
  delay: Hourglass,
  wait_for_event: Hourglass,
  condition: GitBranch,
  split: Shuffle,
  set_attribute: PenLine,
  "http.request": Globe,
  "ai.generate": Sparkles,
  "ai.classify": Tags,
  "ai.extract": Bot,
  end: Flag,
};

/** The icon of a node type. */
export function NodeIcon({ type, className }: { type: string; className?: string }) {
  const Icon = icons[type] ?? (type.startsWith("trigger.") ? Zap : Braces);
  return <Icon className={className} aria-hidden />;
}

/** Accent colours per family of node types (trigger, message, flow, AI, data). */
export function nodeAccent(type: string): { bar: string; icon: string } {
  if (type.startsWith("trigger.")) return { bar: "bg-amber-500", icon: "bg-amber-50 text-amber-700" };
  if (type.endsWith(".send")) return { bar: "bg-sky-500", icon: "bg-sky-50 text-sky-700" };
  if (type.startsWith("ai.")) return { bar: "bg-violet-500", icon: "bg-violet-50 text-violet-700" };
  if (type === "end") return { bar: "bg-slate-400", icon: "bg-slate-100 text-slate-600" };
  if (type === "http.request" || type === "set_attribute") return { bar: "bg-teal-500", icon: "bg-teal-50 text-teal-700" };
  return { bar: "bg-brand-500", icon: "bg-brand-50 text-brand-700" };
}
