package storetest

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
)

// Logger returns a logger for the services a test builds. It keeps the
// warnings and errors they log and prints them only if the test fails, so a
// failure such as a 500 answer shows the error behind it while passing tests
// stay quiet.
func Logger(t testing.TB) *slog.Logger {
	t.Helper()
	w := &failureLog{}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.buf.Len() > 0 {
			t.Logf("warnings and errors logged by the services under test:\n%s", w.buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// failureLogLimit bounds what a test keeps: the first 64 KiB of its log.
const failureLogLimit = 64 << 10

type failureLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *failureLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() < failureLogLimit {
		w.buf.Write(p)
	}
	return len(p), nil
}
