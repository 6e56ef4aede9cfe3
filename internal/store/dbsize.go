package store

import (
	"context"
	"time"
)

// SizeTables are the tables a DatabaseSize counts rows of: the history
// that retention prunes, and River's jobs.
var SizeTables = []string{
	"workflow_executions", "workflow_execution_steps", "outbox", "messages", "events", "audit_log", "river_job",
}

// DatabaseSize is the space a store's database takes and its history's
// row counts (for `nextflow bench soak`).
type DatabaseSize struct {
	// Bytes is the whole database: on SQLite page_count × page_size (the
	// file), on PostgreSQL the tables (with TOAST) and indexes of the
	// store's schema.
	Bytes int64
	// FreeBytes is the part of Bytes that is free for reuse (SQLite's
	// freelist; 0 on PostgreSQL, whose free space is inside the pages).
	FreeBytes int64
	// Rows is the row count of each of SizeTables.
	Rows map[string]int64
	// Relations is each table and index of the database with its size
	// (PostgreSQL; nil on SQLite), to tell which one grows.
	Relations []RelationSize
	// OldestXact is how long the oldest transaction of another session
	// in the same database has been open while it holds a snapshot or a
	// transaction ID (PostgreSQL; 0 on SQLite or when none is visible).
	// Vacuum cannot remove the rows such a transaction may still see, in
	// any schema of the database: a long one makes every table grow.
	OldestXact time.Duration
}

// RelationSize is one table or index of a DatabaseSize.
type RelationSize struct {
	Name  string
	Index bool
	// Of is the table an index belongs to.
	Of string
	// Bytes: a table's heap with TOAST, or an index.
	Bytes int64
	// LiveRows and DeadRows are a table's row versions, live and dead
	// (not yet vacuumed away), as the server's statistics last counted
	// them: an estimate.
	LiveRows, DeadRows int64
}

// SizeReporter is implemented by stores that can measure their database
// (both backends).
type SizeReporter interface {
	DatabaseSize(ctx context.Context) (*DatabaseSize, error)
}

// Vacuumer is implemented by stores whose deleted rows leave space that a
// vacuum makes reusable (PostgreSQL), for benchmarks on a server that does
// not vacuum by itself.
type Vacuumer interface {
	// AutovacuumOn reports whether the server's autovacuum runs.
	AutovacuumOn(ctx context.Context) (bool, error)
	// Vacuum makes the space of the store's tables' dead rows reusable
	// (a plain VACUUM: it takes no lock that blocks reads or writes).
	Vacuum(ctx context.Context) error
}
