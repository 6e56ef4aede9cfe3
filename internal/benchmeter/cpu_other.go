//go:build !unix

package benchmeter

import "time"

// ProcessCPU is not measured here.
func ProcessCPU() time.Duration { return 0 }
