package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// ContactImportStore holds CSV contact imports: the import row with its
// progress checkpoint, the uploaded file in chunks (so the node that runs
// the job need not be the one that took the upload) and the rows refused.
type ContactImportStore interface {
	// ContactImportInsert creates an import in status uploading.
	ContactImportInsert(ctx context.Context, p *ContactImportInsertParams) (*domain.ContactImport, error)
	ContactImportGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.ContactImport, error)
	// ContactImportList returns a tenant's imports, newest first, older
	// than the import p.Before when set.
	ContactImportList(ctx context.Context, p *ContactImportListParams) ([]domain.ContactImport, error)
	// ContactImportUpdate writes an import's status and progress, only
	// while its stored status is p.ExpectedStatus and its checkpoint
	// (BytesDone) is p.ExpectedBytesDone: else ErrStale (a cancel or
	// another worker moved it on), or ErrNotFound when there is no such
	// import.
	ContactImportUpdate(ctx context.Context, p *ContactImportUpdateParams) (*domain.ContactImport, error)
	// ContactImportCancel ends an import that has not ended yet (status
	// cancelled, finished at `at`) and deletes its chunks. It returns the
	// import as it is afterwards; an import that has ended already is
	// returned unchanged.
	ContactImportCancel(ctx context.Context, tenantID, id uuid.UUID, at time.Time) (*domain.ContactImport, error)
	// ContactImportDelete deletes an import with its chunks and errors.
	ContactImportDelete(ctx context.Context, tenantID, id uuid.UUID) error

	// ContactImportChunkInsert stores one chunk of an import's file.
	// Chunks are numbered from 0 and Start is the offset of the chunk's
	// first byte in the file.
	ContactImportChunkInsert(ctx context.Context, p *ContactImportChunk) error
	// ContactImportChunkGet returns chunk seq of an import (ErrNotFound
	// past the last one).
	ContactImportChunkGet(ctx context.Context, tenantID, importID uuid.UUID, seq int) (*ContactImportChunk, error)
	// ContactImportChunkAt returns the chunk that holds byte offset of the
	// file (the last chunk when offset is at or past the end;
	// ErrNotFound when the import has no chunks).
	ContactImportChunkAt(ctx context.Context, tenantID, importID uuid.UUID, offset int64) (*ContactImportChunk, error)
	// ContactImportChunkDeleteAll deletes an import's chunks and returns
	// how many there were.
	ContactImportChunkDeleteAll(ctx context.Context, tenantID, importID uuid.UUID) (int, error)

	// ContactImportErrorInsertMany records refused rows of an import; a
	// row recorded already keeps its first message.
	ContactImportErrorInsertMany(ctx context.Context, tenantID, importID uuid.UUID, errs []domain.ContactImportRowError) error
	// ContactImportErrorList returns an import's refused rows by row
	// number, after row afterRow.
	ContactImportErrorList(ctx context.Context, tenantID, importID uuid.UUID, afterRow int64, limit int) ([]domain.ContactImportRowError, error)
}

// ContactImportInsertParams creates an import.
type ContactImportInsertParams struct {
	TenantID  uuid.UUID
	ID        uuid.UUID // zero: generated
	Filename  string
	Delimiter string
	Columns   map[string]string
	CreatedBy *uuid.UUID
}

// ContactImportListParams pages through a tenant's imports.
type ContactImportListParams struct {
	TenantID uuid.UUID
	// Before continues the listing after this import (IDs are time
	// ordered); uuid.Nil starts at the newest.
	Before uuid.UUID
	Limit  int
}

// ContactImportUpdateParams writes an import's mutable state.
type ContactImportUpdateParams struct {
	TenantID          uuid.UUID
	ID                uuid.UUID
	ExpectedStatus    domain.ContactImportStatus
	ExpectedBytesDone int64

	Status      domain.ContactImportStatus
	Header      []string
	TotalBytes  int64
	TotalRows   int64
	BytesDone   int64
	RowsDone    int64
	RowsCreated int64
	RowsUpdated int64
	RowsFailed  int64
	Error       string
	StartedAt   *time.Time
	FinishedAt  *time.Time
}

// ContactImportUpdateFrom returns params that write imp's current state back, expecting
// it as it is; the caller changes the fields it moves.
func ContactImportUpdateFrom(imp *domain.ContactImport) *ContactImportUpdateParams {
	return &ContactImportUpdateParams{
		TenantID: imp.TenantID, ID: imp.ID, ExpectedStatus: imp.Status, ExpectedBytesDone: imp.BytesDone,
		Status: imp.Status, Header: imp.Header, TotalBytes: imp.TotalBytes, TotalRows: imp.TotalRows,
		BytesDone: imp.BytesDone, RowsDone: imp.RowsDone, RowsCreated: imp.RowsCreated, RowsUpdated: imp.RowsUpdated,
		RowsFailed: imp.RowsFailed, Error: imp.Error, StartedAt: imp.StartedAt, FinishedAt: imp.FinishedAt,
	}
}

// ContactImportChunk is one piece of an import's file.
type ContactImportChunk struct {
	TenantID uuid.UUID
	ImportID uuid.UUID
	Seq      int
	// Start is the offset of Data's first byte in the file.
	Start int64
	Data  []byte
}
