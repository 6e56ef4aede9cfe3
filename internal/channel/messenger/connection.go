package messenger

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// DefaultCallsPerSecond is a page's send rate when its connection sets
// none: Meta's limit of Send API calls per second per page for text.
const DefaultCallsPerSecond = 300

// ErrNoConnection means the tenant has no such Messenger connection (or no
// default one).
var ErrNoConnection = errors.New("no Messenger connection")

// Connection is a tenant's Messenger connection (a Facebook Page), secrets
// opened. It never leaves the process except towards Meta.
type Connection struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	PageID      string
	PageToken   string
	AppSecret   string
	VerifyToken string
	// CallsPerSecond limits sends from the page; DefaultCallsPerSecond
	// when zero.
	CallsPerSecond int
}

// Connections opens tenants' Messenger connections. Package channel owns
// them; the application adapts it to this interface.
type Connections interface {
	// Get opens a tenant's Messenger connection in tx; id uuid.Nil means
	// the tenant's default one. ErrNoConnection (wrapped) when there is
	// none or it is not a Messenger connection.
	Get(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*Connection, error)
	// Lookup opens a Messenger connection by its ID alone: the webhook URL
	// names no tenant. ErrNoConnection (wrapped) when there is none.
	Lookup(ctx context.Context, id uuid.UUID) (*Connection, error)
	// MarkFailing records in tx that Meta refused the connection's
	// credentials, with a message saying so.
	MarkFailing(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID, message string) error
}
