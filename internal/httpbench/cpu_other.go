//go:build !unix

package httpbench

import "time"

// processCPU is not measured here.
func processCPU() time.Duration { return 0 }
