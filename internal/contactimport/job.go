package contactimport

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/contact"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Args is the River job that imports one uploaded file.
type Args struct {
	TenantID uuid.UUID `json:"tenantId"`
	ImportID uuid.UUID `json:"importId"`
}

// Kind names the job.
func (Args) Kind() string { return "nextflow.contact_import" }

// maxAttempts bounds how often a job that keeps failing (the database
// unreachable for long, say) is retried before its import is marked
// failed. A crash or a restart costs an attempt too.
const maxAttempts = 50

// InsertOpts gives the job its retries.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: maxAttempts}
}

type worker struct {
	river.WorkerDefaults[Args]
	s *Service
}

// Timeout: an import runs as long as its file takes. A node that dies
// loses the job's lease and another node resumes from the checkpoint.
func (w *worker) Timeout(*river.Job[Args]) time.Duration { return -1 }

func (w *worker) Work(ctx context.Context, job *river.Job[Args]) error {
	err := w.s.Run(ctx, job.Args.TenantID, job.Args.ImportID)
	if err != nil && ctx.Err() == nil && job.Attempt >= job.MaxAttempts {
		w.s.fail(ctx, job.Args.TenantID, job.Args.ImportID, fmt.Sprintf("gave up after %d attempts: %v", job.Attempt, err))
	}
	return err
}

// errStopped: the import was cancelled, or another worker moved it on.
var errStopped = errors.New("import stopped")

// item is one row read from the file.
type item struct {
	row    int64
	params *store.ContactUpsertParams
	// msg is why the row is refused ("" when params is set).
	msg string
	// end is the offset in the file after the row.
	end int64
}

// Run imports an import's rows from its checkpoint on, batch by batch,
// and completes it. It returns nil when the import has ended (now or
// before) and an error to be retried otherwise; a retry resumes from the
// last committed batch.
func (s *Service) Run(ctx context.Context, tenantID, id uuid.UUID) error {
	imp, err := s.Get(ctx, tenantID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted (its tenant, say): nothing to do
	}
	if err != nil {
		return err
	}
	switch imp.Status {
	case domain.ContactImportUploading:
		return fmt.Errorf("contact import %s is still uploading", id)
	case domain.ContactImportPending:
		now := time.Now()
		upd := store.ContactImportUpdateFrom(imp)
		upd.Status, upd.StartedAt = domain.ContactImportRunning, &now
		if imp, err = s.update(ctx, upd); err != nil {
			return stopped(err)
		}
	case domain.ContactImportRunning:
	default:
		return nil
	}
	lay, err := newLayout(imp.Header, imp.Columns)
	if err != nil {
		s.fail(ctx, tenantID, id, err.Error())
		return nil
	}
	comma, _ := utf8.DecodeRuneInString(imp.Delimiter)
	src := storeChunks{st: s.st, tenantID: tenantID, importID: id}
	r, err := newChunkReader(ctx, src, imp.BytesDone)
	if err != nil {
		return err
	}
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	opts := contact.Options{Source: "import", MaxAttributesBytes: s.opts.MaxAttributesBytes}
	batch := make([]item, 0, s.opts.BatchRows)
	for {
		rec, err := cr.Read()
		if err != nil && !errors.Is(err, io.EOF) {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("read contact import %s: %w", id, err)
			}
			// The upload checked the syntax: a file that changed since is
			// beyond repair.
			s.fail(ctx, tenantID, id, fmt.Sprintf("the stored file is not valid CSV at row %d: %v", imp.RowsDone+int64(len(batch))+2, pe))
			return nil
		}
		if rec != nil && err == nil {
			it := item{row: imp.RowsDone + int64(len(batch)) + 2, end: r.start + cr.InputOffset()}
			opts.Now = time.Now()
			in, ierr := lay.input(rec)
			if ierr == nil {
				it.params, ierr = contact.Params(tenantID, in, opts)
			}
			if ierr != nil {
				it.msg = ierr.Error()
			}
			batch = append(batch, it)
		}
		eof := errors.Is(err, io.EOF)
		if len(batch) == cap(batch) || (eof && len(batch) > 0) {
			if imp, err = s.commit(ctx, imp, batch); err != nil {
				return stopped(err)
			}
			batch = batch[:0]
			if s.opts.AfterBatch != nil {
				s.opts.AfterBatch(imp)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		if eof {
			break
		}
	}
	return stopped(s.complete(ctx, imp))
}

// stopped turns errStopped into nil: the import ended, or belongs to
// another worker now.
func stopped(err error) error {
	if errors.Is(err, errStopped) {
		return nil
	}
	return err
}

// update writes an import's state; ErrStale becomes errStopped.
func (s *Service) update(ctx context.Context, upd *store.ContactImportUpdateParams) (*domain.ContactImport, error) {
	var out *domain.ContactImport
	err := s.st.InTx(ctx, upd.TenantID, func(tx store.Tx) error {
		var err error
		out, err = tx.ContactImportUpdate(ctx, upd)
		return err
	})
	if errors.Is(err, store.ErrStale) {
		return nil, errStopped
	}
	if err != nil {
		return nil, fmt.Errorf("update contact import %s: %w", upd.ID, err)
	}
	return out, nil
}

// commit imports a batch in one transaction with the checkpoint after its
// last row. When a row makes the batch fail (an email that is another
// contact's, attributes too large once merged), the batch is imported row
// by row instead, so only that row is refused.
func (s *Service) commit(ctx context.Context, imp *domain.ContactImport, batch []item) (*domain.ContactImport, error) {
	out, err := s.commitTx(ctx, imp, batch)
	if err == nil || !rowError(err) {
		return out, err
	}
	for i := range batch {
		one := batch[i : i+1]
		next, err := s.commitTx(ctx, imp, one)
		if err != nil && rowError(err) {
			one[0].params, one[0].msg = nil, rowMessage(err)
			next, err = s.commitTx(ctx, imp, one)
		}
		if err != nil {
			return nil, err
		}
		imp = next
	}
	return imp, nil
}

// commitTx is one batch's transaction: upsert the contacts, record the
// refused rows, move the checkpoint (only if nobody else did: else
// errStopped).
func (s *Service) commitTx(ctx context.Context, imp *domain.ContactImport, batch []item) (*domain.ContactImport, error) {
	upd := store.ContactImportUpdateFrom(imp)
	upd.BytesDone = batch[len(batch)-1].end
	upd.RowsDone += int64(len(batch))
	ps := make([]*store.ContactUpsertParams, 0, len(batch))
	var errs []domain.ContactImportRowError
	for _, it := range batch {
		if it.params != nil {
			ps = append(ps, it.params)
			continue
		}
		if upd.RowsFailed < domain.ContactImportMaxErrors {
			errs = append(errs, domain.ContactImportRowError{Row: it.row, Message: it.msg})
		}
		upd.RowsFailed++
	}
	var out *domain.ContactImport
	err := s.st.InTx(ctx, imp.TenantID, func(tx store.Tx) error {
		if len(ps) > 0 {
			res, err := tx.ContactUpsertMany(ctx, ps)
			if err != nil {
				return err
			}
			created := 0
			for _, r := range res {
				if r.Created {
					created++
				} else {
					upd.RowsUpdated++
				}
			}
			upd.RowsCreated += int64(created)
			if s.opts.ContactQuota != nil && created > 0 {
				if err := s.opts.ContactQuota(ctx, tx, imp.TenantID, created); err != nil {
					return fmt.Errorf("contacts quota: %w", err)
				}
			}
		}
		if len(errs) > 0 {
			if err := tx.ContactImportErrorInsertMany(ctx, imp.TenantID, imp.ID, errs); err != nil {
				return err
			}
		}
		var err error
		out, err = tx.ContactImportUpdate(ctx, upd)
		return err
	})
	if errors.Is(err, store.ErrStale) {
		return nil, errStopped
	}
	if err != nil {
		return nil, fmt.Errorf("import rows %d-%d of contact import %s: %w", batch[0].row, batch[len(batch)-1].row, imp.ID, err)
	}
	return out, nil
}

// rowError reports whether err is the fault of a row's data rather than
// of the database.
func rowError(err error) bool {
	var le *plan.LimitError
	return errors.As(err, &le) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrAttributesTooLarge) || errors.Is(err, store.ErrInvalidText)
}

// rowMessage says why the store refused a row.
func rowMessage(err error) string {
	var le *plan.LimitError
	switch {
	case errors.As(err, &le):
		return fmt.Sprintf("a new contact past the plan's limit: plan %s allows %d contacts", le.Plan, le.Value)
	case errors.Is(err, store.ErrConflict):
		return "the email belongs to another contact than the one this row's externalId names"
	case errors.Is(err, store.ErrAttributesTooLarge):
		return "attributes: larger than the limit once merged with the stored ones"
	default:
		return "a value cannot be stored as text"
	}
}

// complete marks an import completed and deletes its file.
func (s *Service) complete(ctx context.Context, imp *domain.ContactImport) error {
	now := time.Now()
	upd := store.ContactImportUpdateFrom(imp)
	upd.Status, upd.FinishedAt = domain.ContactImportCompleted, &now
	err := s.st.InTx(ctx, imp.TenantID, func(tx store.Tx) error {
		if _, err := tx.ContactImportUpdate(ctx, upd); err != nil {
			return err
		}
		_, err := tx.ContactImportChunkDeleteAll(ctx, imp.TenantID, imp.ID)
		return err
	})
	if errors.Is(err, store.ErrStale) {
		return errStopped
	}
	if err != nil {
		return fmt.Errorf("complete contact import %s: %w", imp.ID, err)
	}
	s.log.InfoContext(ctx, "contact import completed", "import", imp.ID, "tenant", imp.TenantID,
		"rows", imp.RowsDone, "created", imp.RowsCreated, "updated", imp.RowsUpdated, "failed", imp.RowsFailed)
	return nil
}

// fail marks an import that has not ended failed, with the reason, and
// deletes its file.
func (s *Service) fail(ctx context.Context, tenantID, id uuid.UUID, reason string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		imp, err := tx.ContactImportGetByID(ctx, tenantID, id)
		if err != nil || imp.Status.Terminal() {
			return err
		}
		now := time.Now()
		upd := store.ContactImportUpdateFrom(imp)
		upd.Status, upd.FinishedAt, upd.Error = domain.ContactImportFailed, &now, reason
		if _, err := tx.ContactImportUpdate(ctx, upd); err != nil {
			return err
		}
		_, err = tx.ContactImportChunkDeleteAll(ctx, tenantID, id)
		return err
	})
	if err != nil {
		s.log.WarnContext(ctx, "contact import: cannot mark failed", "import", id, "reason", reason, "err", err)
		return
	}
	s.log.WarnContext(ctx, "contact import failed", "import", id, "tenant", tenantID, "reason", reason)
}
