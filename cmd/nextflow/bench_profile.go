package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/nextflow-dev/nextflow/internal/config"
)

// startCPUProfile starts writing a CPU profile of the bench to path (the
// --cpuprofile flag) and returns what stops it and closes the file; an
// empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, &config.Error{Name: "--cpuprofile", Msg: err.Error()}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// phaseProfiles returns what profiles each saturated side-effect and send
// phase of bench engine on its own (the --profile-dir flag,
// enginebench.Config.Profile): a CPU profile of the phase,
// DIR/<phase>.cpu.prof, and the heap profile before and after it,
// DIR/<phase>.allocs-{before,after}.prof, whose difference (go tool
// pprof -sample_index=alloc_space -base before after) is what the phase
// allocated. An empty dir profiles nothing (nil).
func phaseProfiles(dir string) (func(phase string) (stop func()), error) {
	if dir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, &config.Error{Name: "--profile-dir", Msg: err.Error()}
	}
	return func(phase string) func() {
		name := filepath.Join(dir, strings.ReplaceAll(phase, " ", "-"))
		writeHeap(name + ".allocs-before.prof")
		stopCPU, err := startCPUProfile(name + ".cpu.prof")
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %v\n", err)
			stopCPU = func() {}
		}
		return func() {
			stopCPU()
			writeHeap(name + ".allocs-after.prof")
		}
	}, nil
}

// writeHeap writes the heap profile (allocations since the start
// included) to path; a failure is printed, the bench goes on.
func writeHeap(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: heap profile %s: %v\n", path, err)
	}
}
