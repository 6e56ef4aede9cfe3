export { WorkspaceSwitcher } from "./ui/workspace-switcher";
