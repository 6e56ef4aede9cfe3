export { WorkflowBuilder } from "./ui/workflow-builder";
export { createBuilderStore, defaultConfig } from "./model/store";
export type { BuilderState, BuilderStore, SaveStatus } from "./model/store";
export { checkConnection } from "./model/connection";
export { fromDefinition, toDefinition, nextNodeId } from "./model/definition";
export { SchemaForm } from "./ui/schema-form";
export { fieldKind } from "./lib/json-schema";
