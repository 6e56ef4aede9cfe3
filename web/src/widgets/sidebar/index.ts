export { Sidebar } from "./ui/sidebar";
