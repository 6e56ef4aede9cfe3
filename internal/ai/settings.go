package ai

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Bounds of the settings.
const (
	maxModelLen     = 200
	maxAPIKeyBytes  = 4096
	maxRedactFields = 100
	// MaxMonthlyTokenBudget caps the budget a workspace may set.
	MaxMonthlyTokenBudget = int64(1) << 40
)

// ErrNotConfigured: the workspace has no AI settings.
var ErrNotConfigured = errors.New("AI is not configured for this workspace: choose a provider in its AI settings")

// BudgetError is a step or draft refused before any call because the
// month's usage has reached the budget.
type BudgetError struct {
	Budget int64
	Used   int64
}

// Error names the budget.
func (e *BudgetError) Error() string {
	return fmt.Sprintf("monthly AI token budget of %d exceeded (%d tokens used this month)", e.Budget, e.Used)
}

// InvalidError is bad settings input, naming the field.
type InvalidError struct {
	Field   string
	Message string
}

// Error names the field.
func (e *InvalidError) Error() string { return e.Field + ": " + e.Message }

var fieldName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,127}$`)

// SettingsInput is a workspace's new AI settings.
type SettingsInput struct {
	Provider string
	Model    string
	BaseURL  string
	// APIKey: nil keeps the stored key, "" removes it, else it replaces it.
	APIKey             *string
	MonthlyTokenBudget int64
	RedactFields       []string
	// RedactPII blanks email addresses and phone numbers from what AI
	// steps record.
	RedactPII bool
}

// Service keeps workspace AI settings (the API key sealed with the process
// keyring, like credentials) and builds their providers.
type Service struct {
	kr      *secret.Keyring
	factory *Factory
}

// NewService builds the service.
func NewService(kr *secret.Keyring, factory *Factory) *Service {
	return &Service{kr: kr, factory: factory}
}

// Check validates in without touching the store.
func (in *SettingsInput) Check() error {
	in.Provider = strings.TrimSpace(in.Provider)
	if !slices.Contains(Providers, in.Provider) {
		return &InvalidError{Field: "provider", Message: "must be one of " + strings.Join(Providers, ", ")}
	}
	in.Model = strings.TrimSpace(in.Model)
	if in.Model == "" && in.Provider != ProviderLocal {
		return &InvalidError{Field: "model", Message: "is required for the " + in.Provider + " provider"}
	}
	if len(in.Model) > maxModelLen || strings.ContainsAny(in.Model, "\x00\r\n") {
		return &InvalidError{Field: "model", Message: fmt.Sprintf("must be at most %d characters on one line", maxModelLen)}
	}
	in.BaseURL = strings.TrimSpace(in.BaseURL)
	if in.BaseURL != "" {
		if in.Provider == ProviderLocal {
			return &InvalidError{Field: "baseUrl", Message: "the local provider has no base URL"}
		}
		if err := CheckBaseURL(in.BaseURL); err != nil {
			return &InvalidError{Field: "baseUrl", Message: err.Error()}
		}
	}
	if in.APIKey != nil {
		k := *in.APIKey
		if len(k) > maxAPIKeyBytes || !utf8.ValidString(k) || strings.ContainsAny(k, "\x00\r\n") {
			return &InvalidError{Field: "apiKey", Message: fmt.Sprintf("must be at most %d bytes of text on one line", maxAPIKeyBytes)}
		}
	}
	if in.MonthlyTokenBudget < 0 || in.MonthlyTokenBudget > MaxMonthlyTokenBudget {
		return &InvalidError{Field: "monthlyTokenBudget", Message: fmt.Sprintf("must be between 0 (no budget) and %d", MaxMonthlyTokenBudget)}
	}
	if len(in.RedactFields) > maxRedactFields {
		return &InvalidError{Field: "redactFields", Message: fmt.Sprintf("at most %d fields", maxRedactFields)}
	}
	for _, f := range in.RedactFields {
		if !fieldName.MatchString(f) {
			return &InvalidError{Field: "redactFields", Message: fmt.Sprintf("%q is not a field name (letters, digits, _, . or -)", f)}
		}
	}
	return nil
}

// SaveTx validates and stores a tenant's settings in tx, sealing a new API
// key. A real provider without a key (given or kept) is refused.
func (s *Service) SaveTx(ctx context.Context, tx store.Tx, tenantID uuid.UUID, in SettingsInput, by *uuid.UUID) (*domain.AISettings, error) {
	if err := in.Check(); err != nil {
		return nil, err
	}
	p := &store.AISettingsUpsertParams{TenantID: tenantID, Provider: in.Provider, Model: in.Model, BaseURL: in.BaseURL,
		MonthlyTokenBudget: in.MonthlyTokenBudget, RedactFields: in.RedactFields, RedactPII: in.RedactPII, UpdatedBy: by}
	switch {
	case in.APIKey != nil && *in.APIKey != "":
		ct, keyID, err := s.kr.Seal(tenantID, tenantID, []byte(*in.APIKey))
		if err != nil {
			return nil, fmt.Errorf("seal the AI API key: %w", err)
		}
		p.APIKeyCiphertext, p.APIKeyKeyID = ct, keyID
	case in.APIKey == nil:
		cur, err := tx.AISettingsGet(ctx, tenantID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if cur != nil {
			p.APIKeyCiphertext, p.APIKeyKeyID = cur.APIKeyCiphertext, cur.APIKeyKeyID
		}
	}
	if in.Provider != ProviderLocal && len(p.APIKeyCiphertext) == 0 {
		return nil, &InvalidError{Field: "apiKey", Message: "is required for the " + in.Provider + " provider"}
	}
	if in.Provider == ProviderLocal {
		p.APIKeyCiphertext, p.APIKeyKeyID = nil, ""
	}
	return tx.AISettingsUpsert(ctx, p)
}

// Provider builds the provider a tenant's settings name, opening its key.
func (s *Service) Provider(st *domain.AISettings) (Provider, error) {
	cfg := ProviderConfig{Provider: st.Provider, BaseURL: st.BaseURL}
	if st.HasAPIKey() {
		key, err := s.kr.Open(st.TenantID, st.TenantID, st.APIKeyKeyID, st.APIKeyCiphertext)
		if err != nil {
			return nil, fmt.Errorf("open the AI API key of tenant %s: %w", st.TenantID, err)
		}
		cfg.APIKey = string(key)
	}
	return s.factory.New(cfg)
}

// MonthOf returns the calendar month (UTC) holding t, as [from, to).
func MonthOf(t time.Time) (time.Time, time.Time) {
	t = t.UTC()
	from := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return from, from.AddDate(0, 1, 0)
}

// UsedTokens sums tokens in and out of totals.
func UsedTokens(totals []domain.AIUsageTotal) int64 {
	var n int64
	for _, t := range totals {
		n += t.TokensIn + t.TokensOut
	}
	return n
}

// CheckBudget reads the month's usage in tx and returns a *BudgetError
// when it has reached the tenant's budget (none when the budget is 0).
func CheckBudget(ctx context.Context, tx store.Tx, st *domain.AISettings, now time.Time) error {
	if st.MonthlyTokenBudget <= 0 {
		return nil
	}
	from, to := MonthOf(now)
	totals, err := tx.AIUsageTotals(ctx, st.TenantID, from, to)
	if err != nil {
		return fmt.Errorf("read this month's AI usage: %w", err)
	}
	if used := UsedTokens(totals); used >= st.MonthlyTokenBudget {
		return &BudgetError{Budget: st.MonthlyTokenBudget, Used: used}
	}
	return nil
}

// price is US dollars per million tokens in and out.
type price struct{ in, out float64 }

// prices is a small, approximate table for the cost estimate, by model
// name prefix (longest first wins); unknown models and the local provider
// cost 0. It is an estimate, not a bill.
var prices = []struct {
	prefix string
	p      price
}{
	{"gpt-4o-mini", price{0.15, 0.60}},
	{"gpt-4o", price{2.50, 10}},
	{"gpt-4.1-nano", price{0.10, 0.40}},
	{"gpt-4.1-mini", price{0.40, 1.60}},
	{"gpt-4.1", price{2, 8}},
	{"gpt-5-nano", price{0.05, 0.40}},
	{"gpt-5-mini", price{0.25, 2}},
	{"gpt-5", price{1.25, 10}},
	{"claude-haiku", price{1, 5}},
	{"claude-3-5-haiku", price{0.80, 4}},
	{"claude-sonnet", price{3, 15}},
	{"claude-3-7-sonnet", price{3, 15}},
	{"claude-opus", price{15, 75}},
}

// EstimateCost is the estimated cost of tokens in and out of model, in
// millionths of a US dollar.
func EstimateCost(provider, model string, in, out int64) int64 {
	if provider == ProviderLocal {
		return 0
	}
	best, bestLen := price{}, -1
	for _, e := range prices {
		if strings.HasPrefix(model, e.prefix) && len(e.prefix) > bestLen {
			best, bestLen = e.p, len(e.prefix)
		}
	}
	return int64(float64(in)*best.in + float64(out)*best.out)
}

// Rotate re-seals every workspace's AI API key still sealed with an older
// key of the keyring under its current key (the `secrets rotate-key`
// command), in pages across tenants. It is idempotent: a key re-sealed
// meanwhile is skipped.
func (s *Service) Rotate(ctx context.Context, st store.Store) (resealed, current int, err error) {
	const page = 200
	after := uuid.Nil
	for {
		var rows []domain.AISettings
		if err := st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
			var err error
			rows, err = tx.AISettingsListSealedAfter(ctx, after, page)
			return err
		}); err != nil {
			return resealed, current, fmt.Errorf("list AI settings: %w", err)
		}
		for i := range rows {
			r := &rows[i]
			if r.APIKeyKeyID == s.kr.CurrentKeyID() {
				current++
				continue
			}
			pt, err := s.kr.Open(r.TenantID, r.TenantID, r.APIKeyKeyID, r.APIKeyCiphertext)
			if err != nil {
				return resealed, current, fmt.Errorf("open the AI key of tenant %s: %w", r.TenantID, err)
			}
			ct, keyID, err := s.kr.Seal(r.TenantID, r.TenantID, pt)
			if err != nil {
				return resealed, current, fmt.Errorf("seal the AI key of tenant %s: %w", r.TenantID, err)
			}
			var done bool
			if err := st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
				var err error
				done, err = tx.AISettingsReseal(ctx, &store.AISettingsResealParams{TenantID: r.TenantID,
					ExpectedKeyID: r.APIKeyKeyID, Ciphertext: ct, KeyID: keyID})
				return err
			}); err != nil {
				return resealed, current, fmt.Errorf("reseal the AI key of tenant %s: %w", r.TenantID, err)
			}
			if done {
				resealed++
			} else {
				current++
			}
		}
		if len(rows) < page {
			return resealed, current, nil
		}
		after = rows[len(rows)-1].TenantID
	}
}
