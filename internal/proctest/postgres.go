package proctest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// PostgresDatabase creates a fresh database for one test and drops it at
// the end, returning its URL. The server is storetest's test database
// server: unreachable, the test is skipped, or failed under CI=true.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	conn := storetest.PostgresConn(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "nf_proc_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	base := storetest.PostgresURL()
	t.Cleanup(func() {
		// A fresh connection: the test's is closed by now.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// SecretKeyEnv is a fixed secret key for PostgreSQL-mode test processes.
const SecretKeyEnv = "NEXTFLOW_SECRET_KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
