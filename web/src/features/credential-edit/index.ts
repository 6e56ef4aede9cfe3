export { CredentialDialog } from "./ui/credential-dialog";
