// Package contactimport imports contacts from CSV files as a background
// job. An upload streams into the database in chunks of at most 1 MiB
// while its rows are counted and checked for CSV syntax, so any node may
// run the import and no node holds the file in memory; a River job then
// parses the chunks as one stream and upserts contacts in batches, each
// batch committed with the checkpoint (the byte offset of the next row),
// so a job resumed after a crash neither repeats nor skips rows.
package contactimport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/contact"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Defaults of Options.
const (
	// DefaultMaxFileBytes is the largest file an upload accepts.
	DefaultMaxFileBytes = 2 << 30
	// DefaultChunkBytes is the size of a stored chunk of a file.
	DefaultChunkBytes = 1 << 20
	// DefaultBatchRows is how many rows one transaction imports.
	DefaultBatchRows = 500
)

// Options tune a Service. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// MaxFileBytes is the largest file an upload accepts.
	MaxFileBytes int64
	// ChunkBytes is the size of a stored chunk (at most 1 MiB is
	// sensible: each is one row of the chunks table).
	ChunkBytes int
	// BatchRows is how many rows one transaction imports (with the
	// checkpoint).
	BatchRows int
	// MaxAttributesBytes limits a contact's attributes (default
	// contact.DefaultMaxAttributesBytes).
	MaxAttributesBytes int
	// ContactQuota, when set, is called in a batch's transaction after the
	// upsert with the number of contacts it created (usage.Meter.Contacts).
	// A *plan.LimitError makes the batch go row by row, and the rows that
	// would create a contact past the limit are refused (rows updating a
	// contact still are imported).
	ContactQuota func(ctx context.Context, tx store.Tx, tenantID uuid.UUID, created int) error
	// AfterBatch, when set, is called after each committed batch with
	// the import as committed (tests stop a job there).
	AfterBatch func(imp *domain.ContactImport)
}

// Service uploads, runs and reports contact imports.
type Service struct {
	st   store.Store
	opts Options
	log  *slog.Logger
}

// New returns a Service over st.
func New(st store.Store, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if opts.ChunkBytes <= 0 {
		opts.ChunkBytes = DefaultChunkBytes
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	if opts.MaxAttributesBytes <= 0 {
		opts.MaxAttributesBytes = contact.DefaultMaxAttributesBytes
	}
	return &Service{st: st, opts: opts, log: opts.Logger}
}

// MaxFileBytes is the largest file an upload accepts.
func (s *Service) MaxFileBytes() int64 { return s.opts.MaxFileBytes }

// InputError is a bad upload: the file or an option is not what an import
// needs. Nothing of the upload is kept.
type InputError struct {
	// Field is "file", "columns" or "delimiter".
	Field   string
	Message string
	// TooLarge marks a file over the size limit.
	TooLarge bool
}

func (e *InputError) Error() string { return e.Field + ": " + e.Message }

// Get returns an import.
func (s *Service) Get(ctx context.Context, tenantID, id uuid.UUID) (*domain.ContactImport, error) {
	var imp *domain.ContactImport
	err := s.st.Read(ctx, tenantID, func(tx store.Tx) error {
		var err error
		imp, err = tx.ContactImportGetByID(ctx, tenantID, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get contact import %s: %w", id, err)
	}
	return imp, nil
}

// List returns a tenant's imports, newest first, older than the import
// before (uuid.Nil: from the newest).
func (s *Service) List(ctx context.Context, tenantID uuid.UUID, before uuid.UUID, limit int) ([]domain.ContactImport, error) {
	var out []domain.ContactImport
	err := s.st.Read(ctx, tenantID, func(tx store.Tx) error {
		var err error
		out, err = tx.ContactImportList(ctx, &store.ContactImportListParams{TenantID: tenantID, Before: before, Limit: limit})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list contact imports: %w", err)
	}
	return out, nil
}

// Errors returns an import's refused rows after row afterRow, by row.
func (s *Service) Errors(ctx context.Context, tenantID, id uuid.UUID, afterRow int64, limit int) ([]domain.ContactImportRowError, error) {
	var out []domain.ContactImportRowError
	err := s.st.Read(ctx, tenantID, func(tx store.Tx) error {
		if _, err := tx.ContactImportGetByID(ctx, tenantID, id); err != nil {
			return err
		}
		var err error
		out, err = tx.ContactImportErrorList(ctx, tenantID, id, afterRow, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list errors of contact import %s: %w", id, err)
	}
	return out, nil
}

// Cancel ends an import that has not ended: its job stops at its next
// batch (the batches committed stay imported) and its file is deleted.
// An import that has ended is returned as it is.
func (s *Service) Cancel(ctx context.Context, tenantID, id uuid.UUID) (*domain.ContactImport, error) {
	var imp *domain.ContactImport
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		var err error
		imp, err = tx.ContactImportCancel(ctx, tenantID, id, time.Now())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cancel contact import %s: %w", id, err)
	}
	return imp, nil
}

// RegisterWorkers adds the import job's worker to the bundle.
func (s *Service) RegisterWorkers(w *river.Workers) {
	river.AddWorker(w, &worker{s: s})
}

// deleteImport removes an upload that did not complete, even when the
// request's context has ended.
func (s *Service) deleteImport(ctx context.Context, tenantID, id uuid.UUID) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		return tx.ContactImportDelete(ctx, tenantID, id)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.WarnContext(ctx, "contact import: cannot delete an upload that did not complete", "import", id, "err", err)
	}
}
