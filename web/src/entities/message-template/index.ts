export { templateApi, templateKeys, useTemplates, useTemplate } from "./api/template-api";
export { TEMPLATE_CHANNELS, emptyContent, contentFor, templateFieldErrors } from "./model/types";
export type { MessageTemplate, TemplateContent, RenderedMessage, TemplatePreviewRequest, TemplateChannel } from "./model/types";
