import type { components } from "./schema";

type Schemas = [components["schemas"]] extends [never] ? Record<never, never> : components["schemas"];

/**
 * Generated is the schema named Name in api/openapi.json when the document
 * has it, and Fallback otherwise: an entity written against a route the
 * document does not list yet switches to the generated type on `npm run
 * generate`, without an edit.
 */
export type Generated<Name extends string, Fallback> = Name extends keyof Schemas ? Schemas[Name] : Fallback;
