package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func contactImportCases() []exerciseCase {
	return []exerciseCase{
		{"ContactImport", func(t *testing.T, f *fixture) {
			a := f.tenantA.ID
			var imp *domain.ContactImport
			f.in(t, a, func(tx store.Tx) {
				var err error
				imp, err = tx.ContactImportInsert(f.ctx, &store.ContactImportInsertParams{TenantID: a, Filename: "people.csv",
					Delimiter: ";", Columns: map[string]string{"Kunde": "externalId"}, CreatedBy: &f.user.ID})
				require.NoError(t, err)
				require.NotEqual(t, uuid.Nil, imp.ID)
				require.Equal(t, domain.ContactImportUploading, imp.Status)
				require.Equal(t, "people.csv", imp.Filename)
				require.Equal(t, ";", imp.Delimiter)
				require.Equal(t, map[string]string{"Kunde": "externalId"}, imp.Columns)
				require.Empty(t, imp.Header)
				require.Equal(t, &f.user.ID, imp.CreatedBy)
				require.False(t, imp.CreatedAt.IsZero())
				require.Nil(t, imp.StartedAt)

				// Chunks: found by number and by the offset they hold.
				for i, data := range []string{"abc", "defg", "h"} {
					require.NoError(t, tx.ContactImportChunkInsert(f.ctx, &store.ContactImportChunk{TenantID: a, ImportID: imp.ID,
						Seq: i, Start: []int64{0, 3, 7}[i], Data: []byte(data)}))
				}
			})
			err := f.s.InTx(f.ctx, a, func(tx store.Tx) error {
				return tx.ContactImportChunkInsert(f.ctx, &store.ContactImportChunk{TenantID: a, ImportID: imp.ID, Seq: 1, Data: []byte("x")})
			})
			require.ErrorIs(t, err, store.ErrConflict)
			f.read(t, a, func(tx store.Tx) {
				c, err := tx.ContactImportChunkGet(f.ctx, a, imp.ID, 1)
				require.NoError(t, err)
				require.Equal(t, &store.ContactImportChunk{TenantID: a, ImportID: imp.ID, Seq: 1, Start: 3, Data: []byte("defg")}, c)
				_, err = tx.ContactImportChunkGet(f.ctx, a, imp.ID, 3)
				require.ErrorIs(t, err, store.ErrNotFound)
				for off, seq := range map[int64]int{0: 0, 2: 0, 3: 1, 6: 1, 7: 2, 8: 2, 100: 2} {
					c, err := tx.ContactImportChunkAt(f.ctx, a, imp.ID, off)
					require.NoError(t, err)
					require.Equal(t, seq, c.Seq, "offset %d", off)
				}
				_, err = tx.ContactImportChunkAt(f.ctx, a, domain.NewID(), 0)
				require.ErrorIs(t, err, store.ErrNotFound)
			})

			// Updates happen only from the expected state.
			started := time.Now().UTC().Truncate(time.Microsecond)
			f.in(t, a, func(tx store.Tx) {
				upd := store.ContactImportUpdateFrom(imp)
				upd.Status, upd.Header, upd.TotalBytes, upd.TotalRows, upd.BytesDone = domain.ContactImportRunning, []string{"Kunde", "email"}, 8, 3, 2
				upd.StartedAt = &started
				got, err := tx.ContactImportUpdate(f.ctx, upd)
				require.NoError(t, err)
				require.Equal(t, domain.ContactImportRunning, got.Status)
				require.Equal(t, []string{"Kunde", "email"}, got.Header)
				require.Equal(t, int64(8), got.TotalBytes)
				require.Equal(t, int64(3), got.TotalRows)
				require.Equal(t, int64(2), got.BytesDone)
				require.True(t, started.Equal(*got.StartedAt))
				imp = got

				_, err = tx.ContactImportUpdate(f.ctx, upd) // expects uploading at offset 0: moved on
				require.ErrorIs(t, err, store.ErrStale)
				upd = store.ContactImportUpdateFrom(imp)
				upd.ExpectedBytesDone = 7
				_, err = tx.ContactImportUpdate(f.ctx, upd)
				require.ErrorIs(t, err, store.ErrStale)
				upd.ID = domain.NewID()
				_, err = tx.ContactImportUpdate(f.ctx, upd)
				require.ErrorIs(t, err, store.ErrNotFound)

				upd = store.ContactImportUpdateFrom(imp)
				upd.BytesDone, upd.RowsDone, upd.RowsCreated, upd.RowsUpdated, upd.RowsFailed = 5, 2, 1, 0, 1
				imp, err = tx.ContactImportUpdate(f.ctx, upd)
				require.NoError(t, err)
				require.Equal(t, int64(5), imp.BytesDone)
				require.Equal(t, int64(2), imp.RowsDone)
				require.Equal(t, int64(1), imp.RowsCreated)
				require.Equal(t, int64(1), imp.RowsFailed)

				// Refused rows: listed by row, a repeat keeps the first message.
				require.NoError(t, tx.ContactImportErrorInsertMany(f.ctx, a, imp.ID, []domain.ContactImportRowError{
					{Row: 7, Message: "email: bad"}, {Row: 3, Message: "no id"}}))
				require.NoError(t, tx.ContactImportErrorInsertMany(f.ctx, a, imp.ID, []domain.ContactImportRowError{{Row: 3, Message: "again"}}))
				require.NoError(t, tx.ContactImportErrorInsertMany(f.ctx, a, imp.ID, nil))
			})
			f.read(t, a, func(tx store.Tx) {
				errs, err := tx.ContactImportErrorList(f.ctx, a, imp.ID, 0, 10)
				require.NoError(t, err)
				require.Equal(t, []domain.ContactImportRowError{{Row: 3, Message: "no id"}, {Row: 7, Message: "email: bad"}}, errs)
				errs, err = tx.ContactImportErrorList(f.ctx, a, imp.ID, 3, 10)
				require.NoError(t, err)
				require.Equal(t, []domain.ContactImportRowError{{Row: 7, Message: "email: bad"}}, errs)
				errs, err = tx.ContactImportErrorList(f.ctx, a, imp.ID, 0, 1)
				require.NoError(t, err)
				require.Len(t, errs, 1)
			})

			// Another tenant sees none of it.
			b := f.tenantB.ID
			f.in(t, b, func(tx store.Tx) {
				_, err := tx.ContactImportGetByID(f.ctx, b, imp.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.ContactImportChunkGet(f.ctx, b, imp.ID, 0)
				require.ErrorIs(t, err, store.ErrNotFound)
				list, err := tx.ContactImportList(f.ctx, &store.ContactImportListParams{TenantID: b})
				require.NoError(t, err)
				require.Empty(t, list)
				errs, err := tx.ContactImportErrorList(f.ctx, b, imp.ID, 0, 10)
				require.NoError(t, err)
				require.Empty(t, errs)
				upd := store.ContactImportUpdateFrom(imp)
				upd.TenantID = b
				_, err = tx.ContactImportUpdate(f.ctx, upd)
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.ContactImportCancel(f.ctx, b, imp.ID, time.Now())
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.ContactImportDelete(f.ctx, b, imp.ID), store.ErrNotFound)
				n, err := tx.ContactImportChunkDeleteAll(f.ctx, b, imp.ID)
				require.NoError(t, err)
				require.Zero(t, n)
			})

			// List pages newest first.
			var second *domain.ContactImport
			f.in(t, a, func(tx store.Tx) {
				var err error
				second, err = tx.ContactImportInsert(f.ctx, &store.ContactImportInsertParams{TenantID: a, Delimiter: ","})
				require.NoError(t, err)
				require.Nil(t, second.Columns)
				require.Nil(t, second.CreatedBy)
				list, err := tx.ContactImportList(f.ctx, &store.ContactImportListParams{TenantID: a})
				require.NoError(t, err)
				require.Len(t, list, 2)
				require.Equal(t, second.ID, list[0].ID)
				require.Equal(t, imp.ID, list[1].ID)
				list, err = tx.ContactImportList(f.ctx, &store.ContactImportListParams{TenantID: a, Before: second.ID, Limit: 5})
				require.NoError(t, err)
				require.Len(t, list, 1)
				require.Equal(t, imp.ID, list[0].ID)
			})

			// Cancel ends it once and deletes the chunks; then it is unchanged.
			at := time.Now().UTC().Truncate(time.Microsecond)
			f.in(t, a, func(tx store.Tx) {
				got, err := tx.ContactImportCancel(f.ctx, a, imp.ID, at)
				require.NoError(t, err)
				require.Equal(t, domain.ContactImportCancelled, got.Status)
				require.True(t, at.Equal(*got.FinishedAt))
				_, err = tx.ContactImportChunkGet(f.ctx, a, imp.ID, 0)
				require.ErrorIs(t, err, store.ErrNotFound)
				again, err := tx.ContactImportCancel(f.ctx, a, imp.ID, at.Add(time.Hour))
				require.NoError(t, err)
				require.True(t, at.Equal(*again.FinishedAt))
				_, err = tx.ContactImportCancel(f.ctx, a, domain.NewID(), at)
				require.ErrorIs(t, err, store.ErrNotFound)
			})

			// Delete takes the errors and chunks with it.
			f.in(t, a, func(tx store.Tx) {
				require.NoError(t, tx.ContactImportChunkInsert(f.ctx, &store.ContactImportChunk{TenantID: a, ImportID: second.ID, Data: []byte("x")}))
				n, err := tx.ContactImportChunkDeleteAll(f.ctx, a, second.ID)
				require.NoError(t, err)
				require.Equal(t, 1, n)
				require.NoError(t, tx.ContactImportDelete(f.ctx, a, imp.ID))
				_, err = tx.ContactImportGetByID(f.ctx, a, imp.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				errs, err := tx.ContactImportErrorList(f.ctx, a, imp.ID, 0, 10)
				require.NoError(t, err)
				require.Empty(t, errs)
			})
		}},
	}
}
