package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toContactImport(r dbsqlc.ContactImport) (*domain.ContactImport, error) {
	imp := &domain.ContactImport{
		ID: r.ID, TenantID: r.TenantID, Status: domain.ContactImportStatus(r.Status), Filename: r.Filename,
		Delimiter: r.Delimiter, TotalBytes: r.TotalBytes, TotalRows: r.TotalRows, BytesDone: r.BytesDone,
		RowsDone: r.RowsDone, RowsCreated: r.RowsCreated, RowsUpdated: r.RowsUpdated, RowsFailed: r.RowsFailed,
		Error: r.Error, CreatedBy: r.CreatedBy, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
		StartedAt: utcPtr(r.StartedAt), FinishedAt: utcPtr(r.FinishedAt),
	}
	if err := json.Unmarshal(r.ColumnMap, &imp.Columns); err != nil {
		return nil, fmt.Errorf("contact import %s: column map: %w", r.ID, err)
	}
	if len(imp.Columns) == 0 {
		imp.Columns = nil
	}
	if err := json.Unmarshal(r.Header, &imp.Header); err != nil {
		return nil, fmt.Errorf("contact import %s: header: %w", r.ID, err)
	}
	return imp, nil
}

// ContactImportInsert creates an import in status uploading.
func (t *tx) ContactImportInsert(ctx context.Context, p *store.ContactImportInsertParams) (*domain.ContactImport, error) {
	cols, err := json.Marshal(p.Columns)
	if err != nil || p.Columns == nil {
		cols = json.RawMessage(`{}`)
	}
	r, err := t.q.ContactImportInsert(ctx, dbsqlc.ContactImportInsertParams{
		TenantID: p.TenantID, ID: newID(p.ID), Filename: p.Filename, Delimiter: p.Delimiter, ColumnMap: cols, CreatedBy: p.CreatedBy,
	})
	if err != nil {
		return nil, translate(err, "insert contact import")
	}
	return toContactImport(r)
}

// ContactImportGetByID returns an import.
func (t *tx) ContactImportGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.ContactImport, error) {
	r, err := t.q.ContactImportGetByID(ctx, dbsqlc.ContactImportGetByIDParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, translate(err, "get contact import %s", id)
	}
	return toContactImport(r)
}

// ContactImportList returns a tenant's imports, newest first.
func (t *tx) ContactImportList(ctx context.Context, p *store.ContactImportListParams) ([]domain.ContactImport, error) {
	rows, err := t.q.ContactImportList(ctx, dbsqlc.ContactImportListParams{
		TenantID: p.TenantID, Before: before(p.Before), Lim: limit(p.Limit, pageDefault, pageMax),
	})
	if err != nil {
		return nil, translate(err, "list contact imports")
	}
	out := make([]domain.ContactImport, 0, len(rows))
	for _, r := range rows {
		imp, err := toContactImport(r)
		if err != nil {
			return nil, err
		}
		out = append(out, *imp)
	}
	return out, nil
}

// ContactImportUpdate writes an import's state if it is as expected.
func (t *tx) ContactImportUpdate(ctx context.Context, p *store.ContactImportUpdateParams) (*domain.ContactImport, error) {
	header, err := json.Marshal(p.Header)
	if err != nil || p.Header == nil {
		header = json.RawMessage(`[]`)
	}
	r, err := t.q.ContactImportUpdate(ctx, dbsqlc.ContactImportUpdateParams{
		TenantID: p.TenantID, ID: p.ID, ExpectedStatus: string(p.ExpectedStatus), ExpectedBytesDone: p.ExpectedBytesDone,
		Status: string(p.Status), Header: header, TotalBytes: p.TotalBytes, TotalRows: p.TotalRows,
		BytesDone: p.BytesDone, RowsDone: p.RowsDone, RowsCreated: p.RowsCreated, RowsUpdated: p.RowsUpdated,
		RowsFailed: p.RowsFailed, Error: p.Error, StartedAt: microPtr(p.StartedAt), FinishedAt: microPtr(p.FinishedAt),
	})
	if err != nil {
		err = translate(err, "update contact import %s", p.ID)
		if errors.Is(err, store.ErrNotFound) {
			if _, gerr := t.ContactImportGetByID(ctx, p.TenantID, p.ID); gerr == nil {
				return nil, fmt.Errorf("update contact import %s: %w", p.ID, store.ErrStale)
			}
		}
		return nil, err
	}
	return toContactImport(r)
}

// ContactImportCancel cancels an import that has not ended and deletes
// its chunks.
func (t *tx) ContactImportCancel(ctx context.Context, tenantID, id uuid.UUID, at time.Time) (*domain.ContactImport, error) {
	r, err := t.q.ContactImportCancel(ctx, dbsqlc.ContactImportCancelParams{TenantID: tenantID, ID: id, At: microPtr(&at)})
	if err != nil {
		err = translate(err, "cancel contact import %s", id)
		if errors.Is(err, store.ErrNotFound) {
			return t.ContactImportGetByID(ctx, tenantID, id)
		}
		return nil, err
	}
	if _, err := t.ContactImportChunkDeleteAll(ctx, tenantID, id); err != nil {
		return nil, err
	}
	return toContactImport(r)
}

// ContactImportDelete deletes an import with its chunks and errors.
func (t *tx) ContactImportDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	n, err := t.q.ContactImportDelete(ctx, dbsqlc.ContactImportDeleteParams{TenantID: tenantID, ID: id})
	return affected(n, err, "delete contact import %s", id)
}

func toChunk(r dbsqlc.ContactImportChunk) *store.ContactImportChunk {
	return &store.ContactImportChunk{TenantID: r.TenantID, ImportID: r.ImportID, Seq: int(r.Seq), Start: r.StartOffset, Data: r.Data}
}

// ContactImportChunkInsert stores one chunk of an import's file.
func (t *tx) ContactImportChunkInsert(ctx context.Context, p *store.ContactImportChunk) error {
	err := t.q.ContactImportChunkInsert(ctx, dbsqlc.ContactImportChunkInsertParams{
		TenantID: p.TenantID, ImportID: p.ImportID, Seq: int32(p.Seq), StartOffset: p.Start, Data: p.Data,
	})
	return translate(err, "insert chunk %d of contact import %s", p.Seq, p.ImportID)
}

// ContactImportChunkGet returns one chunk of an import's file.
func (t *tx) ContactImportChunkGet(ctx context.Context, tenantID, importID uuid.UUID, seq int) (*store.ContactImportChunk, error) {
	r, err := t.q.ContactImportChunkGet(ctx, dbsqlc.ContactImportChunkGetParams{TenantID: tenantID, ImportID: importID, Seq: int32(seq)})
	if err != nil {
		return nil, translate(err, "get chunk %d of contact import %s", seq, importID)
	}
	return toChunk(r), nil
}

// ContactImportChunkAt returns the chunk holding a byte offset.
func (t *tx) ContactImportChunkAt(ctx context.Context, tenantID, importID uuid.UUID, offset int64) (*store.ContactImportChunk, error) {
	r, err := t.q.ContactImportChunkAt(ctx, dbsqlc.ContactImportChunkAtParams{TenantID: tenantID, ImportID: importID, ByteOffset: offset})
	if err != nil {
		return nil, translate(err, "get chunk at %d of contact import %s", offset, importID)
	}
	return toChunk(r), nil
}

// ContactImportChunkDeleteAll deletes an import's chunks.
func (t *tx) ContactImportChunkDeleteAll(ctx context.Context, tenantID, importID uuid.UUID) (int, error) {
	n, err := t.q.ContactImportChunkDeleteAll(ctx, dbsqlc.ContactImportChunkDeleteAllParams{TenantID: tenantID, ImportID: importID})
	if err != nil {
		return 0, translate(err, "delete chunks of contact import %s", importID)
	}
	return int(n), nil
}

// ContactImportErrorInsertMany records refused rows in one statement.
func (t *tx) ContactImportErrorInsertMany(ctx context.Context, tenantID, importID uuid.UUID, errs []domain.ContactImportRowError) error {
	if len(errs) == 0 {
		return nil
	}
	rows := make([]int64, len(errs))
	msgs := make([]string, len(errs))
	for i, e := range errs {
		rows[i], msgs[i] = e.Row, e.Message
	}
	err := t.q.ContactImportErrorInsertMany(ctx, dbsqlc.ContactImportErrorInsertManyParams{
		TenantID: tenantID, ImportID: importID, RowNumbers: rows, Messages: msgs,
	})
	return translate(err, "insert %d errors of contact import %s", len(errs), importID)
}

// ContactImportErrorList returns an import's refused rows by row number.
func (t *tx) ContactImportErrorList(ctx context.Context, tenantID, importID uuid.UUID, afterRow int64, lim int) ([]domain.ContactImportRowError, error) {
	rows, err := t.q.ContactImportErrorList(ctx, dbsqlc.ContactImportErrorListParams{
		TenantID: tenantID, ImportID: importID, AfterRow: afterRow, Lim: limit(lim, pageDefault, domain.ContactImportMaxErrors),
	})
	if err != nil {
		return nil, translate(err, "list errors of contact import %s", importID)
	}
	out := make([]domain.ContactImportRowError, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.ContactImportRowError{Row: r.RowNumber, Message: r.Message})
	}
	return out, nil
}
