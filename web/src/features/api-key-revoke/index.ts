export { useRevokeApiKey } from "./model/use-revoke-api-key";
