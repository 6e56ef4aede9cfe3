package main

import (
	"fmt"
	"os"
	"runtime/pprof"

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
