package postgres

import (
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/stretchr/testify/require"
)

// TestUUIDArrayEncodesAsPgx checks that a []uuid.UUID parameter of type
// uuid[] is written by uuidArrayCodec (not pgx's reflective array plan)
// and that its bytes are the ones pgx's array codec writes: NULL for a
// nil slice, an empty array, one and many IDs; and that the text format
// is left to pgx. The same for []*uuid.UUID, with NULL elements.
func TestUUIDArrayEncodesAsPgx(t *testing.T) {
	plain := pgtype.NewMap()
	plain.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapUUIDEncode}, plain.TryWrapEncodePlanFuncs...)
	ours := pgtype.NewMap()
	ours.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapUUIDEncode}, ours.TryWrapEncodePlanFuncs...)
	registerUUIDArray(ours)
	registerUUIDArray(ours) // twice: still one wrapper

	many := make([]uuid.UUID, 100)
	for i := range many {
		many[i] = uuid.New()
	}
	for _, ids := range [][]uuid.UUID{nil, {}, {uuid.New()}, many} {
		for _, format := range []int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode} {
			want, err := plain.Encode(pgtype.UUIDArrayOID, format, ids, nil)
			require.NoError(t, err)
			got, err := ours.Encode(pgtype.UUIDArrayOID, format, ids, nil)
			require.NoError(t, err)
			require.Equal(t, want, got, "format %d, %d IDs", format, len(ids))
		}
	}
	_, isOurs := ours.PlanEncode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, many).(uuidArrayBinaryPlan)
	require.True(t, isOurs, "[]uuid.UUID as binary uuid[] goes through uuidArrayBinaryPlan")
	allocs := testing.AllocsPerRun(20, func() {
		_, _ = ours.Encode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, many, make([]byte, 0, 4096))
	})
	require.LessOrEqual(t, allocs, 2.0, "allocations encoding 100 IDs")

	// Nullable IDs: nil elements are NULL.
	manyPtrs, someNil := make([]*uuid.UUID, len(many)), make([]*uuid.UUID, len(many))
	for i := range many {
		manyPtrs[i] = &many[i]
		if i%3 != 0 {
			someNil[i] = &many[i]
		}
	}
	one := uuid.New()
	for _, ids := range [][]*uuid.UUID{nil, {}, {&one}, {nil}, manyPtrs, someNil} {
		for _, format := range []int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode} {
			want, err := plain.Encode(pgtype.UUIDArrayOID, format, ids, nil)
			require.NoError(t, err)
			got, err := ours.Encode(pgtype.UUIDArrayOID, format, ids, nil)
			require.NoError(t, err)
			require.Equal(t, want, got, "format %d, %d nullable IDs", format, len(ids))
		}
	}
	_, isOurs = ours.PlanEncode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, someNil).(uuidPtrArrayBinaryPlan)
	require.True(t, isOurs, "[]*uuid.UUID as binary uuid[] goes through uuidPtrArrayBinaryPlan")
	allocs = testing.AllocsPerRun(20, func() {
		_, _ = ours.Encode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, someNil, make([]byte, 0, 4096))
	})
	require.LessOrEqual(t, allocs, 2.0, "allocations encoding 100 nullable IDs")
}
