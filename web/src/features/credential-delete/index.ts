export { useDeleteCredential } from "./model/use-delete-credential";
