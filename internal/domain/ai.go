package domain

import (
	"time"

	"github.com/google/uuid"
)

// AISettings is a workspace's AI configuration: which provider and model
// its AI steps and drafts use, where the provider is (BaseURL, "" for the
// public endpoint), its API key (sealed by internal/secret, write-only),
// the monthly token budget (0: none) and the fields redacted from recorded
// prompts and responses.
type AISettings struct {
	TenantID         uuid.UUID
	Provider         string
	Model            string
	BaseURL          string
	APIKeyCiphertext []byte // nil: no key
	APIKeyKeyID      string
	// MonthlyTokenBudget caps tokens in + out per calendar month (UTC); 0
	// means no cap.
	MonthlyTokenBudget int64
	// RedactFields are names of contact attributes and JSON fields whose
	// values are blanked from recorded prompts and responses (PII).
	RedactFields []string
	// RedactPII blanks email addresses and phone numbers from recorded
	// prompts and responses too.
	RedactPII bool
	UpdatedBy *uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
}

// HasAPIKey reports whether an API key is stored.
func (s *AISettings) HasAPIKey() bool { return len(s.APIKeyCiphertext) > 0 }

// AIUsage is what one AI step (or one workflow draft) consumed: every
// provider call it made, retries of invalid answers included.
type AIUsage struct {
	TenantID uuid.UUID
	ID       uuid.UUID
	// ExecutionID, StepID and NodeID name the step; nil for a draft.
	ExecutionID *uuid.UUID
	StepID      *uuid.UUID
	NodeID      string
	// Kind is the node type (ai.generate…) or "workflow_draft".
	Kind      string
	Provider  string
	Model     string
	Calls     int
	TokensIn  int64
	TokensOut int64
	LatencyMS int64
	// CostMicroUSD is the estimated cost in millionths of a US dollar.
	CostMicroUSD int64
	CreatedAt    time.Time
}

// AIUsageTotal sums a tenant's usage of one provider and model over a
// period.
type AIUsageTotal struct {
	Provider     string
	Model        string
	Calls        int64
	TokensIn     int64
	TokensOut    int64
	CostMicroUSD int64
}
