export { credentialApi, useCredentials, type CredentialInput } from "./api/credential-api";
export { CredentialPicker } from "./ui/credential-picker";
export { credentialKinds } from "./model/kinds";
