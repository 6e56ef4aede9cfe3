// Package credential manages workspace credentials: write-only secrets,
// sealed with the process keyring (internal/secret) before they reach the
// store, opened only by Resolve for the call that uses them. It also moves
// plain secrets of older workflow definitions into credentials
// (MigratePlain) and re-seals every credential under the current key
// (Rotate).
package credential

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// MaxValueBytes bounds a credential's value.
const MaxValueBytes = 16 << 10

// Kinds a credential may have.
var Kinds = []string{domain.CredentialGeneric, domain.CredentialHTTPHeader, domain.CredentialWebhookSecret}

// InvalidError is bad input, naming the field.
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Message }

// Service seals, stores and opens credentials.
type Service struct {
	st  store.Store
	kr  *secret.Keyring
	log *slog.Logger
}

// New builds the service over a store and keyring.
func New(st store.Store, kr *secret.Keyring, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{st: st, kr: kr, log: log}
}

// Store returns the service's store.
func (s *Service) Store() store.Store { return s.st }

// Keyring returns the service's keyring.
func (s *Service) Keyring() *secret.Keyring { return s.kr }

// Input is a credential to create or replace.
type Input struct {
	Name        string
	Kind        string
	Description string
	Value       string
}

// Check validates an input without touching the store.
func (in *Input) Check() error {
	if !workflow.ValidCredentialName(in.Name) {
		return &InvalidError{Field: "name", Message: "must be 1-64 letters, digits or underscores"}
	}
	if in.Kind == "" {
		in.Kind = domain.CredentialGeneric
	}
	known := false
	for _, k := range Kinds {
		known = known || k == in.Kind
	}
	if !known {
		return &InvalidError{Field: "kind", Message: "must be one of " + strings.Join(Kinds, ", ")}
	}
	if in.Value == "" {
		return &InvalidError{Field: "value", Message: "must not be empty"}
	}
	if len(in.Value) > MaxValueBytes || !utf8.ValidString(in.Value) || strings.ContainsAny(in.Value, "\x00\r\n") {
		return &InvalidError{Field: "value", Message: fmt.Sprintf("must be at most %d bytes of UTF-8 text on one line", MaxValueBytes)}
	}
	if len(in.Description) > 500 {
		return &InvalidError{Field: "description", Message: "must be at most 500 characters"}
	}
	return nil
}

// InsertTx seals and inserts a credential inside tx; a taken name is
// store.ErrConflict.
func (s *Service) InsertTx(ctx context.Context, tx store.Tx, tenantID uuid.UUID, in Input, by *uuid.UUID) (*domain.Credential, error) {
	if err := in.Check(); err != nil {
		return nil, err
	}
	id := domain.NewID()
	ct, keyID, err := s.kr.Seal(tenantID, id, []byte(in.Value))
	if err != nil {
		return nil, fmt.Errorf("seal credential %s: %w", in.Name, err)
	}
	return tx.CredentialInsert(ctx, &store.CredentialInsertParams{TenantID: tenantID, ID: id, Name: in.Name, Kind: in.Kind,
		Description: in.Description, Ciphertext: ct, KeyID: keyID, CreatedBy: by})
}

// ReplaceTx seals a new value for an existing credential inside tx.
func (s *Service) ReplaceTx(ctx context.Context, tx store.Tx, tenantID uuid.UUID, in Input) (*domain.Credential, error) {
	if err := in.Check(); err != nil {
		return nil, err
	}
	cur, err := tx.CredentialGetByName(ctx, tenantID, in.Name)
	if err != nil {
		return nil, err
	}
	ct, keyID, err := s.kr.Seal(tenantID, cur.ID, []byte(in.Value))
	if err != nil {
		return nil, fmt.Errorf("seal credential %s: %w", in.Name, err)
	}
	return tx.CredentialUpdate(ctx, &store.CredentialUpdateParams{TenantID: tenantID, Name: in.Name, Kind: in.Kind,
		Description: in.Description, Ciphertext: ct, KeyID: keyID})
}

// Open decrypts a stored credential.
func (s *Service) Open(c *domain.Credential) (string, error) {
	pt, err := s.kr.Open(c.TenantID, c.ID, c.KeyID, c.Ciphertext)
	if err != nil {
		return "", fmt.Errorf("open credential %s: %w", c.Name, err)
	}
	return string(pt), nil
}

// Resolve returns the value of a tenant's credential, for the call that
// uses it; an unknown name is store.ErrNotFound. It never logs the value.
func (s *Service) Resolve(ctx context.Context, tenantID uuid.UUID, name string) (string, error) {
	var value string
	err := s.st.Read(ctx, tenantID, func(tx store.Tx) error {
		var err error
		value, err = s.ResolveTx(ctx, tx, tenantID, name)
		return err
	})
	return value, err
}

// ResolveTx is Resolve inside the caller's transaction (a webhook start
// reads its node's credential in the start's own transaction).
func (s *Service) ResolveTx(ctx context.Context, tx store.Tx, tenantID uuid.UUID, name string) (string, error) {
	c, err := tx.CredentialGetByName(ctx, tenantID, name)
	if err != nil {
		return "", fmt.Errorf("load credential %q: %w", name, err)
	}
	return s.Open(c)
}

// RotateResult counts what Rotate did.
type RotateResult struct {
	// Resealed credentials now sealed with the current key.
	Resealed int
	// Current were already sealed with it.
	Current int
	// Failed could not be opened (their key is not configured, or the row
	// was altered); they are left as they are.
	Failed int
}

// Rotate re-seals every credential of every tenant under the current key,
// batch by batch, each batch in its own transaction. It is idempotent: a
// second run finds every credential current. A credential replaced while
// it runs keeps its new value.
func (s *Service) Rotate(ctx context.Context, batch int) (RotateResult, error) {
	if batch <= 0 {
		batch = 200
	}
	var res RotateResult
	after := uuid.Nil
	for {
		var page []domain.Credential
		if err := s.st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
			var err error
			page, err = tx.CredentialListAfter(ctx, after, batch)
			return err
		}); err != nil {
			return res, fmt.Errorf("list credentials: %w", err)
		}
		if len(page) == 0 {
			return res, nil
		}
		after = page[len(page)-1].ID
		err := s.st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
			for i := range page {
				c := &page[i]
				if c.KeyID == s.kr.CurrentKeyID() {
					res.Current++
					continue
				}
				pt, err := s.kr.Open(c.TenantID, c.ID, c.KeyID, c.Ciphertext)
				if err != nil {
					s.log.WarnContext(ctx, "credential cannot be opened; left as it is", "tenant", c.TenantID, "credential", c.Name, "key_id", c.KeyID, "err", err)
					res.Failed++
					continue
				}
				ct, keyID, err := s.kr.Seal(c.TenantID, c.ID, pt)
				if err != nil {
					return fmt.Errorf("seal credential %s: %w", c.ID, err)
				}
				ok, err := tx.CredentialReseal(ctx, &store.CredentialResealParams{TenantID: c.TenantID, ID: c.ID,
					ExpectedKeyID: c.KeyID, Ciphertext: ct, KeyID: keyID})
				if err != nil {
					return err
				}
				if ok {
					res.Resealed++
				} else {
					res.Current++
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("reseal credentials: %w", err)
		}
	}
}
