// Package metawebhook holds what Meta's webhooks (WhatsApp Cloud API and
// Messenger) have in common: the GET verification handshake, the
// X-Hub-Signature-256 check over the raw body, a bounded body read, and
// the parsers of each product's envelope (whatsapp.go here; a Messenger
// parser goes in a file of its own beside it).
//
// The package has no state and does no I/O beyond reading a request, so
// both channels' HTTP handlers and the local fakes share it.
package metawebhook
