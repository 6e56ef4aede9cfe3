package contactimport

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// UploadParams is one CSV file to import.
type UploadParams struct {
	TenantID  uuid.UUID
	CreatedBy *uuid.UUID
	Filename  string
	// Delimiter is the field separator, one character ("" is ',').
	Delimiter string
	// Columns maps header names to contact fields (see CheckColumns);
	// headers it does not name take the default mapping.
	Columns map[string]string
	// Body is the file, read once to its end.
	Body io.Reader
}

const bom = "\ufeff"

// Upload streams a CSV file into the database and queues its import. The
// file is read once: its bytes go into chunks as they arrive while a CSV
// reader over the same bytes checks the header and the syntax and counts
// the rows. A file that is not UTF-8 CSV, has no externalId or email
// column, or is too large is an *InputError, and nothing of it is kept.
func (s *Service) Upload(ctx context.Context, p *UploadParams) (*domain.ContactImport, error) {
	comma, err := delimiter(p.Delimiter)
	if err != nil {
		return nil, err
	}
	if err := CheckColumns(p.Columns); err != nil {
		return nil, err
	}
	if len(p.Filename) > 255 || !utf8.ValidString(p.Filename) || strings.ContainsRune(p.Filename, 0) {
		return nil, &InputError{Field: "filename", Message: "want at most 255 bytes of UTF-8"}
	}
	var imp *domain.ContactImport
	err = s.st.InTx(ctx, p.TenantID, func(tx store.Tx) error {
		var err error
		imp, err = tx.ContactImportInsert(ctx, &store.ContactImportInsertParams{
			TenantID: p.TenantID, Filename: p.Filename, Delimiter: string(comma), Columns: p.Columns, CreatedBy: p.CreatedBy,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create contact import: %w", err)
	}
	done, err := s.receive(ctx, imp, comma, p)
	if err != nil {
		s.deleteImport(ctx, p.TenantID, imp.ID)
		return nil, err
	}
	return done, nil
}

// receive reads the body into chunks, checks it, and marks the import
// pending with its job.
func (s *Service) receive(ctx context.Context, imp *domain.ContactImport, comma rune, p *UploadParams) (*domain.ContactImport, error) {
	ch := &chunker{ctx: ctx, st: s.st, tenantID: imp.TenantID, importID: imp.ID, buf: make([]byte, 0, s.opts.ChunkBytes)}
	body := &limitReader{r: p.Body, left: s.opts.MaxFileBytes}
	guard := &rowGuard{r: io.TeeReader(body, ch)}
	cr := csv.NewReader(guard)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, readError(err, ch, 1)
	}
	header = append([]string(nil), header...)
	header[0] = strings.TrimPrefix(header[0], bom)
	if msg := textProblem(header); msg != "" {
		return nil, &InputError{Field: "file", Message: "row 1 (the header): " + msg}
	}
	if _, err := newLayout(header, p.Columns); err != nil {
		return nil, err
	}
	headerEnd := cr.InputOffset()
	guard.mark = headerEnd
	var rows int64
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readError(err, ch, rows+2)
		}
		rows++
		guard.mark = cr.InputOffset()
		if msg := textProblem(rec); msg != "" {
			return nil, &InputError{Field: "file", Message: fmt.Sprintf("row %d: %s", rows+1, msg)}
		}
	}
	if err := ch.flush(); err != nil {
		return nil, err
	}
	var out *domain.ContactImport
	err = s.st.InTx(ctx, imp.TenantID, func(tx store.Tx) error {
		upd := store.ContactImportUpdateFrom(imp)
		upd.Status = domain.ContactImportPending
		upd.Header = header
		upd.TotalBytes = ch.written
		upd.TotalRows = rows
		upd.BytesDone = headerEnd
		var err error
		if out, err = tx.ContactImportUpdate(ctx, upd); err != nil {
			return err
		}
		_, err = tx.JobInsert(ctx, Args{TenantID: imp.TenantID, ImportID: imp.ID}, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("queue contact import %s: %w", imp.ID, err)
	}
	return out, nil
}

// readError explains why reading the file stopped at a row.
func readError(err error, ch *chunker, row int64) error {
	var pe *csv.ParseError
	var tl *InputError
	switch {
	case errors.As(err, &tl):
		return tl
	case ch.err != nil:
		return ch.err
	case errors.Is(err, io.EOF):
		return &InputError{Field: "file", Message: "the file is empty: want a header row naming the columns, then one row per contact"}
	case errors.As(err, &pe) && (errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrFieldCount)):
		return &InputError{Field: "file", Message: fmt.Sprintf("not valid CSV at row %d (line %d, column %d): %v", row, pe.Line, pe.Column, pe.Err)}
	}
	return fmt.Errorf("read upload: %w", err)
}

// textProblem says what keeps a record's fields from being stored as
// text, "" when nothing.
func textProblem(rec []string) string {
	for _, f := range rec {
		if !utf8.ValidString(f) {
			return "not valid UTF-8 (save the file as UTF-8 CSV)"
		}
		if strings.IndexByte(f, 0) >= 0 {
			return "contains a NUL character (is this a CSV file?)"
		}
	}
	return ""
}

// delimiter parses the field separator option.
func delimiter(d string) (rune, error) {
	if d == "" {
		return ',', nil
	}
	if d == `\t` || d == "tab" {
		return '\t', nil
	}
	r, size := utf8.DecodeRuneInString(d)
	if size != len(d) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' || r == 0 {
		return 0, &InputError{Field: "delimiter", Message: fmt.Sprintf("%q: want one character such as , ; | or tab", d)}
	}
	return r, nil
}

// limitReader fails with a TooLarge InputError past its limit.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a file of exactly the limit from a larger one.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, &InputError{Field: "file", Message: "the file is larger than the upload limit", TooLarge: true}
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// MaxRowBytes is the largest row (a record, with its quoted line breaks)
// a file may have: the CSV reader holds one row in memory.
const MaxRowBytes = 1 << 20

// rowGuard fails a read that would take the current row past MaxRowBytes
// (mark is the offset where the row began).
type rowGuard struct {
	r    io.Reader
	read int64
	mark int64
}

func (g *rowGuard) Read(p []byte) (int, error) {
	if g.read-g.mark > MaxRowBytes {
		return 0, &InputError{Field: "file", Message: fmt.Sprintf("a row after offset %d is larger than %d bytes (is this a CSV file?)", g.mark, MaxRowBytes)}
	}
	n, err := g.r.Read(p)
	g.read += int64(n)
	return n, err
}

// chunker stores what is written to it as chunks of a fixed size, each in
// its own transaction (so an upload never holds SQLite's writer for
// long).
type chunker struct {
	ctx      context.Context
	st       store.Store
	tenantID uuid.UUID
	importID uuid.UUID
	buf      []byte
	seq      int
	written  int64
	err      error
}

// Write implements io.Writer.
func (c *chunker) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n := len(p)
	for len(p) > 0 {
		k := copy(c.buf[len(c.buf):cap(c.buf)], p)
		c.buf = c.buf[:len(c.buf)+k]
		p = p[k:]
		if len(c.buf) == cap(c.buf) {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// flush stores the buffered bytes as the next chunk.
func (c *chunker) flush() error {
	if c.err != nil || len(c.buf) == 0 {
		return c.err
	}
	chunk := &store.ContactImportChunk{TenantID: c.tenantID, ImportID: c.importID, Seq: c.seq, Start: c.written, Data: c.buf}
	err := c.st.InTx(c.ctx, c.tenantID, func(tx store.Tx) error {
		return tx.ContactImportChunkInsert(c.ctx, chunk)
	})
	if err != nil {
		c.err = fmt.Errorf("store chunk %d of contact import %s: %w", c.seq, c.importID, err)
		return c.err
	}
	c.seq++
	c.written += int64(len(c.buf))
	c.buf = c.buf[:0]
	return nil
}
