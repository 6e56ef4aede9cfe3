package workflow

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a duration as written in node configs: Go's units
// (ns, us, µs, ms, s, m, h) plus d (24h) and w (7d), combinable and with
// fractions, e.g. "2d", "48h", "90m", "30s", "1d12h", "1.5h", "1w".
// Surrounding spaces are ignored; a leading minus makes it negative.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("parse duration %q: empty", orig)
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	switch s {
	case "":
		return 0, fmt.Errorf("parse duration %q: no number", orig)
	case "0":
		return 0, nil
	}
	var total float64
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("parse duration %q: expected a number at %q", orig, s)
		}
		n, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("parse duration %q: bad number %q", orig, s[:i])
		}
		s = s[i:]
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		unit := s[:j]
		s = s[j:]
		var mult time.Duration
		switch unit {
		case "ns":
			mult = time.Nanosecond
		case "us", "µs", "μs":
			mult = time.Microsecond
		case "ms":
			mult = time.Millisecond
		case "s":
			mult = time.Second
		case "m":
			mult = time.Minute
		case "h":
			mult = time.Hour
		case "d":
			mult = 24 * time.Hour
		case "w":
			mult = 7 * 24 * time.Hour
		case "":
			return 0, fmt.Errorf("parse duration %q: missing unit after %s (use s, m, h, d or w)", orig, strconv.FormatFloat(n, 'f', -1, 64))
		default:
			return 0, fmt.Errorf("parse duration %q: unknown unit %q (use s, m, h, d or w)", orig, unit)
		}
		total += n * float64(mult)
		if total >= math.MaxInt64 {
			return 0, fmt.Errorf("parse duration %q: too long", orig)
		}
	}
	d := time.Duration(total)
	if neg {
		d = -d
	}
	return d, nil
}
