export { apiKeyApi, useApiKeys } from "./api/api-key-api";
