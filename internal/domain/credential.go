package domain

import (
	"time"

	"github.com/google/uuid"
)

// Credential kinds: what a workspace credential is for. Nothing in the
// engine depends on the kind; it helps the dashboard offer the right ones.
const (
	CredentialGeneric       = "generic"
	CredentialHTTPHeader    = "http_header"
	CredentialWebhookSecret = "webhook_secret"
)

// Credential is a workspace secret: write-only, stored encrypted
// (Ciphertext sealed with the key KeyID), referenced from node configs by
// Name. The plaintext never leaves the process except to the call that
// uses it.
type Credential struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	Name        string
	Kind        string
	Description string
	Ciphertext  []byte
	KeyID       string
	CreatedBy   *uuid.UUID
	CreatedAt   time.Time
	UpdatedAt   time.Time
}
