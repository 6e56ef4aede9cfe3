package contactimport

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// chunkSource fetches the chunks of one import's file.
type chunkSource interface {
	// chunkAt returns the chunk holding byte offset (the last chunk when
	// offset is at or past the end).
	chunkAt(ctx context.Context, offset int64) (*store.ContactImportChunk, error)
	// chunk returns chunk seq, store.ErrNotFound past the last one.
	chunk(ctx context.Context, seq int) (*store.ContactImportChunk, error)
}

// storeChunks reads chunks from the store, each in its own read
// transaction.
type storeChunks struct {
	st       store.Store
	tenantID uuid.UUID
	importID uuid.UUID
}

func (s storeChunks) chunkAt(ctx context.Context, offset int64) (*store.ContactImportChunk, error) {
	var c *store.ContactImportChunk
	err := s.st.Read(ctx, s.tenantID, func(tx store.Tx) error {
		var err error
		c, err = tx.ContactImportChunkAt(ctx, s.tenantID, s.importID, offset)
		return err
	})
	return c, err
}

func (s storeChunks) chunk(ctx context.Context, seq int) (*store.ContactImportChunk, error) {
	var c *store.ContactImportChunk
	err := s.st.Read(ctx, s.tenantID, func(tx store.Tx) error {
		var err error
		c, err = tx.ContactImportChunkGet(ctx, s.tenantID, s.importID, seq)
		return err
	})
	return c, err
}

// chunkReader reads an import's file from a byte offset on, one chunk in
// memory at a time. Rows may span chunk borders: the reader is one
// continuous stream.
type chunkReader struct {
	ctx  context.Context
	src  chunkSource
	cur  *store.ContactImportChunk
	pos  int // read position in cur.Data
	done bool
	// start is the file offset the reader began at.
	start int64
}

// newChunkReader returns a reader of the file from offset on.
func newChunkReader(ctx context.Context, src chunkSource, offset int64) (*chunkReader, error) {
	r := &chunkReader{ctx: ctx, src: src, start: offset}
	c, err := src.chunkAt(ctx, offset)
	if errors.Is(err, store.ErrNotFound) {
		r.done = true // an empty file has no chunks
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read chunk at offset %d: %w", offset, err)
	}
	r.cur = c
	r.pos = int(min(max(offset-c.Start, 0), int64(len(c.Data))))
	return r, nil
}

// Read implements io.Reader.
func (r *chunkReader) Read(p []byte) (int, error) {
	for !r.done {
		if r.pos < len(r.cur.Data) {
			n := copy(p, r.cur.Data[r.pos:])
			r.pos += n
			return n, nil
		}
		next, err := r.src.chunk(r.ctx, r.cur.Seq+1)
		if errors.Is(err, store.ErrNotFound) {
			r.done = true
			break
		}
		if err != nil {
			return 0, fmt.Errorf("read chunk %d: %w", r.cur.Seq+1, err)
		}
		r.cur, r.pos = next, 0
	}
	return 0, io.EOF
}
