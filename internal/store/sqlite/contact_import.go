package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func contactImportFromRow(r dbsqlc.ContactImport) (*domain.ContactImport, error) {
	imp := &domain.ContactImport{
		ID: r.ID, TenantID: r.TenantID, Status: domain.ContactImportStatus(r.Status), Filename: r.Filename,
		Delimiter: r.Delimiter, TotalBytes: r.TotalBytes, TotalRows: r.TotalRows, BytesDone: r.BytesDone,
		RowsDone: r.RowsDone, RowsCreated: r.RowsCreated, RowsUpdated: r.RowsUpdated, RowsFailed: r.RowsFailed,
		Error: r.Error, CreatedBy: uuidPtr(r.CreatedBy), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		StartedAt: timePtr(r.StartedAt), FinishedAt: timePtr(r.FinishedAt),
	}
	if err := json.Unmarshal([]byte(r.ColumnMap), &imp.Columns); err != nil {
		return nil, fmt.Errorf("contact import %s: column map: %w", r.ID, err)
	}
	if len(imp.Columns) == 0 {
		imp.Columns = nil
	}
	if err := json.Unmarshal([]byte(r.Header), &imp.Header); err != nil {
		return nil, fmt.Errorf("contact import %s: header: %w", r.ID, err)
	}
	return imp, nil
}

// ContactImportInsert creates an import in status uploading.
func (t *tx) ContactImportInsert(ctx context.Context, p *store.ContactImportInsertParams) (*domain.ContactImport, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	cols := []byte("{}")
	if len(p.Columns) > 0 {
		var err error
		if cols, err = json.Marshal(p.Columns); err != nil {
			return nil, fmt.Errorf("encode column map: %w", err)
		}
	}
	r, err := t.q.ContactImportInsert(ctx, t.tx, &dbsqlc.ContactImportInsertParams{
		ID: id, TenantID: p.TenantID, Filename: p.Filename, Delimiter: p.Delimiter, ColumnMap: string(cols),
		CreatedBy: nullUUID(p.CreatedBy), Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "insert contact import")
	}
	return contactImportFromRow(r)
}

// ContactImportGetByID returns an import.
func (t *tx) ContactImportGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.ContactImport, error) {
	r, err := t.q.ContactImportGetByID(ctx, t.tx, &dbsqlc.ContactImportGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, wrap(err, "get contact import %s", id)
	}
	return contactImportFromRow(r)
}

// ContactImportList returns a tenant's imports, newest first.
func (t *tx) ContactImportList(ctx context.Context, p *store.ContactImportListParams) ([]domain.ContactImport, error) {
	rows, err := t.q.ContactImportList(ctx, t.tx, &dbsqlc.ContactImportListParams{
		TenantID: p.TenantID, Before: before(p.Before), Lim: limit(p.Limit, 50, 500),
	})
	if err != nil {
		return nil, wrap(err, "list contact imports")
	}
	out := make([]domain.ContactImport, 0, len(rows))
	for _, r := range rows {
		imp, err := contactImportFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, *imp)
	}
	return out, nil
}

// ContactImportUpdate writes an import's state if it is as expected.
func (t *tx) ContactImportUpdate(ctx context.Context, p *store.ContactImportUpdateParams) (*domain.ContactImport, error) {
	header := []byte("[]")
	if p.Header != nil {
		var err error
		if header, err = json.Marshal(p.Header); err != nil {
			return nil, fmt.Errorf("encode header: %w", err)
		}
	}
	r, err := t.q.ContactImportUpdate(ctx, t.tx, &dbsqlc.ContactImportUpdateParams{
		TenantID: p.TenantID, ID: p.ID, ExpectedStatus: string(p.ExpectedStatus), ExpectedBytesDone: p.ExpectedBytesDone,
		Status: string(p.Status), Header: string(header), TotalBytes: p.TotalBytes, TotalRows: p.TotalRows,
		BytesDone: p.BytesDone, RowsDone: p.RowsDone, RowsCreated: p.RowsCreated, RowsUpdated: p.RowsUpdated,
		RowsFailed: p.RowsFailed, Error: p.Error, StartedAt: nullTime(p.StartedAt), FinishedAt: nullTime(p.FinishedAt),
		Now: now(),
	})
	if err != nil {
		err = wrap(err, "update contact import %s", p.ID)
		if errors.Is(err, store.ErrNotFound) {
			if _, gerr := t.ContactImportGetByID(ctx, p.TenantID, p.ID); gerr == nil {
				return nil, errorf(store.ErrStale, "update contact import %s", p.ID)
			}
		}
		return nil, err
	}
	return contactImportFromRow(r)
}

// ContactImportCancel cancels an import that has not ended and deletes
// its chunks.
func (t *tx) ContactImportCancel(ctx context.Context, tenantID, id uuid.UUID, at time.Time) (*domain.ContactImport, error) {
	r, err := t.q.ContactImportCancel(ctx, t.tx, &dbsqlc.ContactImportCancelParams{TenantID: tenantID, ID: id, At: nullTime(&at)})
	if err != nil {
		err = wrap(err, "cancel contact import %s", id)
		if errors.Is(err, store.ErrNotFound) {
			return t.ContactImportGetByID(ctx, tenantID, id)
		}
		return nil, err
	}
	if _, err := t.ContactImportChunkDeleteAll(ctx, tenantID, id); err != nil {
		return nil, err
	}
	return contactImportFromRow(r)
}

// ContactImportDelete deletes an import with its chunks and errors.
func (t *tx) ContactImportDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.ContactImportDelete(ctx, t.tx, &dbsqlc.ContactImportDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete contact import %s", id)
}

func chunkFromRow(r dbsqlc.ContactImportChunk) *store.ContactImportChunk {
	return &store.ContactImportChunk{TenantID: r.TenantID, ImportID: r.ImportID, Seq: int(r.Seq), Start: r.StartOffset, Data: r.Data}
}

// ContactImportChunkInsert stores one chunk of an import's file.
func (t *tx) ContactImportChunkInsert(ctx context.Context, p *store.ContactImportChunk) error {
	err := t.q.ContactImportChunkInsert(ctx, t.tx, &dbsqlc.ContactImportChunkInsertParams{
		TenantID: p.TenantID, ImportID: p.ImportID, Seq: int64(p.Seq), StartOffset: p.Start, Data: p.Data,
	})
	return wrap(err, "insert chunk %d of contact import %s", p.Seq, p.ImportID)
}

// ContactImportChunkGet returns one chunk of an import's file.
func (t *tx) ContactImportChunkGet(ctx context.Context, tenantID, importID uuid.UUID, seq int) (*store.ContactImportChunk, error) {
	r, err := t.q.ContactImportChunkGet(ctx, t.tx, &dbsqlc.ContactImportChunkGetParams{TenantID: tenantID, ImportID: importID, Seq: int64(seq)})
	if err != nil {
		return nil, wrap(err, "get chunk %d of contact import %s", seq, importID)
	}
	return chunkFromRow(r), nil
}

// ContactImportChunkAt returns the chunk holding a byte offset.
func (t *tx) ContactImportChunkAt(ctx context.Context, tenantID, importID uuid.UUID, offset int64) (*store.ContactImportChunk, error) {
	r, err := t.q.ContactImportChunkAt(ctx, t.tx, &dbsqlc.ContactImportChunkAtParams{TenantID: tenantID, ImportID: importID, ByteOffset: offset})
	if err != nil {
		return nil, wrap(err, "get chunk at %d of contact import %s", offset, importID)
	}
	return chunkFromRow(r), nil
}

// ContactImportChunkDeleteAll deletes an import's chunks.
func (t *tx) ContactImportChunkDeleteAll(ctx context.Context, tenantID, importID uuid.UUID) (int, error) {
	n, err := t.q.ContactImportChunkDeleteAll(ctx, t.tx, &dbsqlc.ContactImportChunkDeleteAllParams{TenantID: tenantID, ImportID: importID})
	if err != nil {
		return 0, wrap(err, "delete chunks of contact import %s", importID)
	}
	return int(n), nil
}

// ContactImportErrorInsertMany records refused rows, one statement each
// (SQLite runs them in process).
func (t *tx) ContactImportErrorInsertMany(ctx context.Context, tenantID, importID uuid.UUID, errs []domain.ContactImportRowError) error {
	for _, e := range errs {
		err := t.q.ContactImportErrorInsert(ctx, t.tx, &dbsqlc.ContactImportErrorInsertParams{
			TenantID: tenantID, ImportID: importID, RowNumber: e.Row, Message: e.Message,
		})
		if err != nil {
			return wrap(err, "insert error of row %d of contact import %s", e.Row, importID)
		}
	}
	return nil
}

// ContactImportErrorList returns an import's refused rows by row number.
func (t *tx) ContactImportErrorList(ctx context.Context, tenantID, importID uuid.UUID, afterRow int64, lim int) ([]domain.ContactImportRowError, error) {
	rows, err := t.q.ContactImportErrorList(ctx, t.tx, &dbsqlc.ContactImportErrorListParams{
		TenantID: tenantID, ImportID: importID, AfterRow: afterRow, Lim: limit(lim, 50, domain.ContactImportMaxErrors),
	})
	if err != nil {
		return nil, wrap(err, "list errors of contact import %s", importID)
	}
	out := make([]domain.ContactImportRowError, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.ContactImportRowError{Row: r.RowNumber, Message: r.Message})
	}
	return out, nil
}
