export { DraftWithAIButton } from "./ui/ai-draft-button";
