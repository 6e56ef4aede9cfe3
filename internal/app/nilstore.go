package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// nilStore stands in for a database when only the API document is
// needed; every call fails.
type nilStore struct{}

var errNoDatabase = errors.New("no database")

func (nilStore) Dialect() string { return "none" }
func (nilStore) InTx(context.Context, uuid.UUID, func(store.Tx) error) error {
	return errNoDatabase
}
func (nilStore) Read(context.Context, uuid.UUID, func(store.Tx) error) error {
	return errNoDatabase
}
func (nilStore) Ping(context.Context) error { return errNoDatabase }
func (nilStore) MigrationStatus(context.Context) (store.MigrationStatus, error) {
	return store.MigrationStatus{}, errNoDatabase
}
func (nilStore) Migrate(context.Context) error { return errNoDatabase }
func (nilStore) Queue() store.Queue            { return nil }
func (nilStore) Close() error                  { return nil }
