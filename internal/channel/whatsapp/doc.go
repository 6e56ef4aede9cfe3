// Package whatsapp is the WhatsApp Cloud API channel: a client of the
// Graph API send contract (client.go), the 24-hour customer-service
// window rule (window.go), and the error classification by Graph error
// code (errors.go).
package whatsapp
