package postgres

import (
	"context"

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
	return nil
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
