export { AISettingsForm } from "./ui/ai-settings-form";
