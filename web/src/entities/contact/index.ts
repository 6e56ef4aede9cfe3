export { contactApi, useContacts, useContact, useContactEvents } from "./api/contact-api";
