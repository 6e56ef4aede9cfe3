// Package benchmeter reads what a benchmark phase cost: this process's
// CPU, the CPU of a PostgreSQL server on the same machine, and the commits,
// statements and WAL records it ran and wrote (with pg_stat_statements
// loaded). The benches
// (enginebench, httpbench) take a Meter's Read and report the difference
// between two readings per operation.
package benchmeter

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Usage is what a process has used so far, as Meter.Read reads it.
type Usage struct {
	// ProcessCPU is this process's CPU time (the server, the engine, River
	// and the in-process load generator and fakes all run in it).
	ProcessCPU time.Duration
	// DBCPU is the database server's CPU time (zero when not readable).
	DBCPU time.Duration
	// Counted: Commits, Statements and the WAL were read
	// (pg_stat_statements).
	Counted bool
	// Commits is the number of COMMITs, Statements the number of other
	// statements (BEGIN and ROLLBACK left out).
	Commits, Statements int64
	// WALRecords and WALBytes are the WAL the statements wrote (full-page
	// images included in the bytes), counted as each statement ends: unlike
	// CPU time, the same for the same work whatever else the machine does,
	// but for the full-page images after a checkpoint.
	WALRecords, WALBytes int64
}

// Since is what was used between before and u, two readings of one
// Meter; Counted when both counted.
func (u Usage) Since(before Usage) Usage {
	return Usage{
		ProcessCPU: u.ProcessCPU - before.ProcessCPU,
		DBCPU:      u.DBCPU - before.DBCPU,
		Counted:    u.Counted && before.Counted,
		Commits:    u.Commits - before.Commits,
		Statements: u.Statements - before.Statements,
		WALRecords: u.WALRecords - before.WALRecords,
		WALBytes:   u.WALBytes - before.WALBytes,
	}
}

// Meter reads what a bench phase cost: this process's CPU, and on a
// PostgreSQL server on this machine its processes' CPU (the postmaster's
// own and its children's, found from postmaster.pid in the data
// directory) and, with pg_stat_statements loaded, the statements and
// commits run in the bench's database and the WAL they wrote. What it
// cannot read stays zero.
type Meter struct {
	conn *pgx.Conn
	// pid is the postmaster's process ID; 0 when not readable here.
	pid int
	// statements: pg_stat_statements answers.
	statements bool
}

// Open connects to the PostgreSQL database at url for the server's CPU and
// counters; an empty url (SQLite) or a failure leaves only the process CPU
// measured.
func Open(ctx context.Context, url string) *Meter {
	m := &Meter{}
	if url == "" {
		return m
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return m
	}
	m.conn = conn
	var dir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err == nil {
		if b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid")); err == nil {
			first, _, _ := bytes.Cut(b, []byte("\n"))
			m.pid, _ = strconv.Atoi(strings.TrimSpace(string(first)))
		}
	}
	// The extension must be loaded (shared_preload_libraries) to answer;
	// creating it is harmless where it is not.
	_, _ = conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_statements").Scan(&n); err == nil {
		m.statements = true
	}
	return m
}

// Close closes the meter's connection.
func (m *Meter) Close() {
	if m.conn != nil {
		_ = m.conn.Close(context.Background())
	}
}

// Read is what the bench has used so far; the benches' Meter field.
func (m *Meter) Read(ctx context.Context) Usage {
	u := Usage{ProcessCPU: ProcessCPU()}
	if m.pid > 0 {
		u.DBCPU = procTreeCPU(m.pid)
	}
	if m.statements {
		// BEGIN, COMMIT and ROLLBACK are counted apart from the statements
		// that do the work; the meter's own queries are not counted.
		const q = `SELECT coalesce(sum(calls) FILTER (WHERE query ILIKE 'commit%'), 0)::bigint,
			coalesce(sum(calls) FILTER (WHERE query !~* '^(begin|commit|rollback|start transaction)'), 0)::bigint,
			coalesce(sum(wal_records), 0)::bigint, coalesce(sum(wal_bytes), 0)::bigint
			FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND query NOT LIKE '%pg_stat_statements%'`
		if err := m.conn.QueryRow(ctx, q).Scan(&u.Commits, &u.Statements, &u.WALRecords, &u.WALBytes); err == nil {
			u.Counted = true
		}
	}
	return u
}

// procTreeCPU is the CPU time of process pid, of its children that ended
// (cutime, cstime) and of those still running (Linux /proc; clock ticks
// of 10 ms).
func procTreeCPU(pid int) time.Duration {
	ticks := func(p int, withChildren bool) int64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			return 0
		}
		// Fields after the command (which may hold spaces) in parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			return 0
		}
		f := strings.Fields(string(b[i+1:]))
		// f[0] is the state (field 3): utime is field 14, so f[11].
		n := 0
		if withChildren {
			n = 2
		}
		var sum int64
		for j := 11; j < 13+n && j < len(f); j++ {
			v, _ := strconv.ParseInt(f[j], 10, 64)
			sum += v
		}
		return sum
	}
	total := ticks(pid, true)
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid)); err == nil {
		for _, c := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(c); err == nil {
				total += ticks(p, false)
			}
		}
	}
	return time.Duration(total) * 10 * time.Millisecond
}
