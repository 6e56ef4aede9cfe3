package postgres

import (
	"context"
	"encoding/binary"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// registerUUID teaches a connection's type map to send and read
// github.com/google/uuid values as PostgreSQL's binary uuid. Without it pgx
// falls back to uuid.UUID's driver.Valuer and sql.Scanner, which go through
// the 36-character text form on every parameter and column: measurable on
// the engine's hot path, where most parameters are IDs.
func registerUUID(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapUUIDEncode}, m.TryWrapEncodePlanFuncs...)
	m.TryWrapScanPlanFuncs = append([]pgtype.TryWrapScanPlanFunc{tryWrapUUIDScan}, m.TryWrapScanPlanFuncs...)
	registerUUIDArray(m)
	return nil
}

// registerUUIDArray makes uuid[] parameters given as []uuid.UUID encode
// straight into PostgreSQL's binary array (uuidArrayCodec). pgx would
// otherwise walk the slice by reflection and plan and box each element:
// about 200 ns per ID, and the batch statements (events, contacts,
// journey entries, executions, steps) send hundreds per transaction.
func registerUUIDArray(m *pgtype.Map) {
	if t, ok := m.TypeForOID(pgtype.UUIDArrayOID); ok {
		if _, done := t.Codec.(uuidArrayCodec); !done {
			m.RegisterType(&pgtype.Type{Name: t.Name, OID: t.OID, Codec: uuidArrayCodec{Codec: t.Codec}})
		}
	}
}

// uuidArrayCodec is pgx's uuid[] codec, but for encoding a []uuid.UUID or
// a []*uuid.UUID (nil elements are NULL) in the binary format, which it
// writes itself, byte for byte as pgx's array codec does
// (TestUUIDArrayEncodesAsPgx). Everything else is pgx's.
type uuidArrayCodec struct{ pgtype.Codec }

// PlanEncode implements pgtype.Codec.
func (c uuidArrayCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if format == pgtype.BinaryFormatCode {
		switch value.(type) {
		case []uuid.UUID:
			return uuidArrayBinaryPlan{}
		case []*uuid.UUID:
			// pgx would box each element through uuid.UUID's
			// driver.Valuer: its 36-character text, parsed back
			// (about 5% of the process's CPU in bench events, for the
			// executions' contacts).
			return uuidPtrArrayBinaryPlan{}
		}
	}
	return c.Codec.PlanEncode(m, oid, format, value)
}

// uuidArrayBinaryPlan writes a []uuid.UUID as a one-dimensional uuid[]
// without NULLs (a nil slice is NULL, as with pgx).
type uuidArrayBinaryPlan struct{}

// Encode implements pgtype.EncodePlan.
func (uuidArrayBinaryPlan) Encode(value any, buf []byte) ([]byte, error) {
	ids := value.([]uuid.UUID)
	if ids == nil {
		return nil, nil
	}
	buf = appendUUIDArrayHeader(buf, len(ids), false)
	for i := range ids {
		buf = binary.BigEndian.AppendUint32(buf, 16)
		buf = append(buf, ids[i][:]...)
	}
	return buf, nil
}

// appendUUIDArrayHeader appends the header of a one-dimensional binary
// uuid[] of n elements, flagged as holding NULLs when nulls is set.
func appendUUIDArrayHeader(buf []byte, n int, nulls bool) []byte {
	var hasNulls uint32
	if nulls {
		hasNulls = 1
	}
	buf = binary.BigEndian.AppendUint32(buf, 1) // dimensions
	buf = binary.BigEndian.AppendUint32(buf, hasNulls)
	buf = binary.BigEndian.AppendUint32(buf, pgtype.UUIDOID)
	buf = binary.BigEndian.AppendUint32(buf, uint32(n))
	return binary.BigEndian.AppendUint32(buf, 1) // lower bound
}

// uuidPtrArrayBinaryPlan writes a []*uuid.UUID as a one-dimensional
// uuid[], a nil element as NULL (a nil slice is NULL, as with pgx).
type uuidPtrArrayBinaryPlan struct{}

// Encode implements pgtype.EncodePlan.
func (uuidPtrArrayBinaryPlan) Encode(value any, buf []byte) ([]byte, error) {
	ids := value.([]*uuid.UUID)
	if ids == nil {
		return nil, nil
	}
	buf = appendUUIDArrayHeader(buf, len(ids), slices.Contains(ids, nil))
	for _, id := range ids {
		if id == nil {
			buf = binary.BigEndian.AppendUint32(buf, 0xFFFFFFFF) // -1: NULL
			continue
		}
		buf = binary.BigEndian.AppendUint32(buf, 16)
		buf = append(buf, id[:]...)
	}
	return buf, nil
}

// tryWrapUUIDEncode encodes a uuid.UUID as a pgtype.UUID.
func tryWrapUUIDEncode(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	if u, ok := value.(uuid.UUID); ok {
		return &uuidEncodePlan{}, pgtype.UUID{Bytes: u, Valid: true}, true
	}
	return nil, nil, false
}

type uuidEncodePlan struct{ next pgtype.EncodePlan }

func (p *uuidEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *uuidEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	return p.next.Encode(pgtype.UUID{Bytes: value.(uuid.UUID), Valid: true}, buf)
}

// tryWrapUUIDScan scans into a *uuid.UUID through a pgtype.UUID.
func tryWrapUUIDScan(target any) (pgtype.WrappedScanPlanNextSetter, any, bool) {
	if u, ok := target.(*uuid.UUID); ok {
		return &uuidScanPlan{}, (*uuidScanner)(u), true
	}
	return nil, nil, false
}

// uuidScanner is a *uuid.UUID that pgtype's UUID codec scans into.
type uuidScanner uuid.UUID

// ScanUUID implements pgtype.UUIDScanner; SQL NULL is left to the caller's
// type (a NOT NULL column never yields it; nullable ones scan into
// *uuid.UUID pointers, which pgx handles before reaching here).
func (s *uuidScanner) ScanUUID(v pgtype.UUID) error {
	if !v.Valid {
		*s = uuidScanner(uuid.Nil)
		return nil
	}
	*s = uuidScanner(v.Bytes)
	return nil
}

type uuidScanPlan struct{ next pgtype.ScanPlan }

func (p *uuidScanPlan) SetNext(next pgtype.ScanPlan) { p.next = next }

func (p *uuidScanPlan) Scan(src []byte, target any) error {
	return p.next.Scan(src, (*uuidScanner)(target.(*uuid.UUID)))
}
