package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/engine/enginebench"
)

// benchMeter reads what a bench phase cost: this process's CPU, and on a
// PostgreSQL server on this machine its processes' CPU (the postmaster's
// own and its children's, found from postmaster.pid in the data
// directory) and, with pg_stat_statements loaded, the statements and
// commits run in the bench's database. What it cannot read stays zero.
type benchMeter struct {
	conn *pgx.Conn
	// pid is the postmaster's process ID; 0 when not readable here.
	pid int
	// statements: pg_stat_statements answers.
	statements bool
}

// newBenchMeter connects to url for the counters; a failure leaves only
// the process CPU measured.
func newBenchMeter(ctx context.Context, url string) *benchMeter {
	m := &benchMeter{}
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
func (m *benchMeter) Close() {
	if m.conn != nil {
		_ = m.conn.Close(context.Background())
	}
}

// read is enginebench.Config.Meter.
func (m *benchMeter) read(ctx context.Context) enginebench.Usage {
	u := enginebench.Usage{ProcessCPU: processCPU()}
	if m.pid > 0 {
		u.DBCPU = procTreeCPU(m.pid)
	}
	if m.statements {
		// BEGIN, COMMIT and ROLLBACK are counted apart from the statements
		// that do the work; the meter's own queries are not counted.
		const q = `SELECT coalesce(sum(calls) FILTER (WHERE query ILIKE 'commit%'), 0)::bigint,
			coalesce(sum(calls) FILTER (WHERE query !~* '^(begin|commit|rollback|start transaction)'), 0)::bigint
			FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND query NOT LIKE '%pg_stat_statements%'`
		if err := m.conn.QueryRow(ctx, q).Scan(&u.Commits, &u.Statements); err == nil {
			u.Counted = true
		}
	}
	return u
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
