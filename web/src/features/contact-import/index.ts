export { ImportContactsButton } from "./ui/import-contacts";
export { useContactImportUpload } from "./model/use-contact-import-upload";
