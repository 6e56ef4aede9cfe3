export { EraseContactButton } from "./ui/erase-contact";
export { useEraseContact, eraseConfirmation } from "./model/use-erase-contact";
