export { aiApi, useAISettings, useAIUsage } from "./api/ai-api";
