package main

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))

	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	gc, lim := tuneGC(env(nil), "1073741824\n")
	if gc != defaultGCPercent || debug.SetGCPercent(100) != defaultGCPercent {
		t.Fatalf("GOGC unset: GC percent %d, want %d", gc, defaultGCPercent)
	}
	cgroupLimit := int64(1) << 30
	if want := int64(float64(cgroupLimit) * memoryLimitShare); lim != want || debug.SetMemoryLimit(-1) != want {
		t.Fatalf("GOMEMLIMIT unset under a 1 GiB cgroup: limit %d, want %d", lim, want)
	}

	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	gc, lim = tuneGC(env(map[string]string{"GOGC": "50", "GOMEMLIMIT": "256MiB"}), "1073741824")
	if gc != 0 || lim != 0 || debug.SetGCPercent(-1) != 100 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Fatalf("GOGC and GOMEMLIMIT set: tuneGC changed the runtime (%d, %d)", gc, lim)
	}

	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	if _, lim = tuneGC(env(nil), "max\n"); lim != 0 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Fatalf("no cgroup limit: memory limit set to %d", lim)
	}
}
