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
	checkEncodesAsPgx(t, plain, ours, [][]uuid.UUID{nil, {}, {uuid.New()}}, many, uuidArrayBinaryPlan{})

	// Nullable IDs: nil elements are NULL.
	manyPtrs, someNil := make([]*uuid.UUID, len(many)), make([]*uuid.UUID, len(many))
	for i := range many {
		manyPtrs[i] = &many[i]
		if i%3 != 0 {
			someNil[i] = &many[i]
		}
	}
	one := uuid.New()
	checkEncodesAsPgx(t, plain, ours, [][]*uuid.UUID{nil, {}, {&one}, {nil}, manyPtrs}, someNil, uuidPtrArrayBinaryPlan{})
}

// checkEncodesAsPgx checks that ours encodes each of cases and big, as a
// uuid[] parameter, to the bytes plain (pgx's own codec) writes, in both
// formats; that big in the binary format goes through plan; and that
// encoding it allocates at most twice.
func checkEncodesAsPgx[T any](t *testing.T, plain, ours *pgtype.Map, cases [][]T, big []T, plan pgtype.EncodePlan) {
	t.Helper()
	for _, ids := range append(cases, big) {
		for _, format := range []int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode} {
			want, err := plain.Encode(pgtype.UUIDArrayOID, format, ids, nil)
			require.NoError(t, err)
			got, err := ours.Encode(pgtype.UUIDArrayOID, format, ids, nil)
			require.NoError(t, err)
			require.Equal(t, want, got, "format %d, %d of %T", format, len(ids), ids)
		}
	}
	require.IsType(t, plan, ours.PlanEncode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, big),
		"%T as binary uuid[] goes through %T", big, plan)
	allocs := testing.AllocsPerRun(20, func() {
		_, _ = ours.Encode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, big, make([]byte, 0, 4096))
	})
	require.LessOrEqual(t, allocs, 2.0, "allocations encoding %d of %T", len(big), big)
}
