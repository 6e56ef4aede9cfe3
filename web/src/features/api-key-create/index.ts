export { CreateApiKeyButton } from "./ui/create-api-key";
