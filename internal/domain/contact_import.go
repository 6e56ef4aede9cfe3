package domain

import (
	"time"

	"github.com/google/uuid"
)

// ContactImportStatus is where a CSV contact import stands.
type ContactImportStatus string

// Contact import statuses. An import is uploading while its file streams
// into the database, pending until a worker takes its job, running while
// rows are imported, and ends completed (row errors included), failed (the
// job could not go on) or cancelled.
const (
	ContactImportUploading ContactImportStatus = "uploading"
	ContactImportPending   ContactImportStatus = "pending"
	ContactImportRunning   ContactImportStatus = "running"
	ContactImportCompleted ContactImportStatus = "completed"
	ContactImportFailed    ContactImportStatus = "failed"
	ContactImportCancelled ContactImportStatus = "cancelled"
)

// Terminal reports whether the import has ended.
func (s ContactImportStatus) Terminal() bool {
	return s == ContactImportCompleted || s == ContactImportFailed || s == ContactImportCancelled
}

// ContactImport is one CSV file of contacts being imported. The file
// itself is stored in chunks beside it until the import ends.
type ContactImport struct {
	ID       uuid.UUID
	TenantID uuid.UUID
	Status   ContactImportStatus
	// Filename is what the client called the file ("" when unnamed).
	Filename string
	// Delimiter is the field separator (',' unless the upload chose
	// another).
	Delimiter string
	// Columns maps CSV header names to contact fields where the upload
	// chose a mapping other than the default one.
	Columns map[string]string
	// Header is the file's header row, as uploaded.
	Header []string
	// TotalBytes and TotalRows are the file's size and its number of data
	// rows (the header not counted), both known once the upload completes.
	TotalBytes int64
	TotalRows  int64
	// BytesDone is the checkpoint: the offset in the file where the next
	// row to import starts.
	BytesDone int64
	// RowsDone counts data rows handled (imported or refused); the next
	// row is data row RowsDone+1.
	RowsDone    int64
	RowsCreated int64
	RowsUpdated int64
	// RowsFailed counts rows refused; at most ContactImportMaxErrors of
	// them are stored with their reasons.
	RowsFailed int64
	// Error says why a failed import stopped.
	Error      string
	CreatedBy  *uuid.UUID
	CreatedAt  time.Time
	UpdatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// ContactImportMaxErrors is how many refused rows an import keeps with
// their reasons; further ones are only counted.
const ContactImportMaxErrors = 1000

// ContactImportRowError is a row an import refused. Row is the row's
// number in the file counting the header as row 1, so it matches what a
// spreadsheet shows when no cell spans lines.
type ContactImportRowError struct {
	Row     int64
	Message string
}
