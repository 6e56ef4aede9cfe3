package whatsapp

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// DefaultMessagesPerSecond is a phone number's send rate when its
// connection sets none: Meta's default throughput per business number.
const DefaultMessagesPerSecond = 80

// MaxWebhookBody bounds a webhook delivery's body.
const MaxWebhookBody = 512 << 10

// Errors of the webhook endpoint.
var (
	// ErrNotWhatsAppBody: a verified body that is not a WhatsApp Business
	// Account delivery.
	ErrNotWhatsAppBody = errors.New("the body is not a whatsapp_business_account webhook")
	// ErrVerifyToken: the handshake's hub.verify_token or hub.mode is wrong.
	ErrVerifyToken = errors.New("hub.mode must be subscribe and hub.verify_token must match the connection's verify token")
)

// ErrNoConnection means the tenant has no such WhatsApp connection (or no
// default one).
var ErrNoConnection = errors.New("no WhatsApp connection")

// Connection is a tenant's WhatsApp Cloud API connection, secrets opened.
// It never leaves the process except towards Meta.
type Connection struct {
	ID            uuid.UUID
	TenantID      uuid.UUID
	PhoneNumberID string
	AccessToken   string
	AppSecret     string
	VerifyToken   string
	// MessagesPerSecond limits sends from the phone number;
	// DefaultMessagesPerSecond when zero.
	MessagesPerSecond int
}

// Connections opens tenants' WhatsApp connections. Package channel owns
// them; the application adapts it to this interface.
type Connections interface {
	// Get opens a tenant's WhatsApp connection in tx; id uuid.Nil means
	// the tenant's default one. ErrNoConnection (wrapped) when there is
	// none or it is not a WhatsApp connection.
	Get(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*Connection, error)
	// Lookup opens a WhatsApp connection by its ID alone: the webhook URL
	// names no tenant. ErrNoConnection (wrapped) when there is none.
	Lookup(ctx context.Context, id uuid.UUID) (*Connection, error)
	// MarkFailing records in tx that Meta refused the connection's
	// credentials, with a message saying so.
	MarkFailing(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID, message string) error
}
