package schedule

import (
	"fmt"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/stretchr/testify/require"
)

// referenceRuns is a slow, obviously-correct statement of the package's
// DST rules: walk real time minute by minute and fire at an instant when
//   - its wall clock matches and this is the first time that wall clock
//     happens (or the schedule fires every hour), or
//   - it is the first instant after a spring-forward gap and some skipped
//     wall-clock minute matches (one run, however many matched).
func referenceRuns(t *testing.T, expr string, loc *time.Location, from, to time.Time) []time.Time {
	t.Helper()
	parsed, err := newParser().Parse(expr)
	require.NoError(t, err)
	spec := parsed.(*cron.SpecSchedule)
	hourly := spec.Hour&allHours == allHours
	matches := func(wall time.Time) bool {
		return spec.Minute&(1<<uint(wall.Minute())) != 0 &&
			spec.Hour&(1<<uint(wall.Hour())) != 0 &&
			spec.Month&(1<<uint(wall.Month())) != 0 &&
			dayMatches(spec, wall)
	}
	var out []time.Time
	for at := from.Truncate(time.Minute).Add(time.Minute); !at.After(to); at = at.Add(time.Minute) {
		local := at.In(loc)
		wall := naive(local)
		prevWall := naive(at.Add(-time.Minute).In(loc))
		fire := false
		if matches(wall) {
			// First occurrence: the same wall clock did not happen in the
			// previous few hours.
			first := true
			for back := time.Minute; back <= 3*time.Hour; back += time.Minute {
				if naive(at.Add(-back).In(loc)).Equal(wall) {
					first = false
					break
				}
			}
			fire = first || hourly
		}
		if !fire && wall.Sub(prevWall) > time.Minute {
			// A gap: wall-clock minutes (prevWall, wall) never happened.
			for w := prevWall.Add(time.Minute); w.Before(wall); w = w.Add(time.Minute) {
				if matches(w) {
					fire = true
					break
				}
			}
		}
		if fire {
			out = append(out, local)
		}
	}
	return out
}

func dayMatches(s *cron.SpecSchedule, t time.Time) bool {
	dom := s.Dom&(1<<uint(t.Day())) != 0
	dow := s.Dow&(1<<uint(t.Weekday())) != 0
	if s.Dom&(1<<63) != 0 || s.Dow&(1<<63) != 0 {
		return dom && dow
	}
	return dom || dow
}

func TestNextMatchesReferenceAcrossDST(t *testing.T) {
	t.Parallel()
	exprs := []string{"30 2 * * *", "0 2 * * *", "59 1 * * *", "0 3 * * *", "0 * * * *", "*/15 * * * *",
		"15,45 1-3 * * *", "0 0 * * 0", "*/7 2 * * *", "30 1,2 * * *"}
	windows := []struct {
		tz   string
		from time.Time
	}{
		{"America/New_York", time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC)},
		{"America/New_York", time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)},
		{"Europe/Berlin", time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)},
		{"Europe/Berlin", time.Date(2026, 10, 24, 0, 0, 0, 0, time.UTC)},
		{"Australia/Lord_Howe", time.Date(2026, 4, 4, 0, 0, 0, 0, time.UTC)}, // 30-minute shift
	}
	for _, w := range windows {
		for _, expr := range exprs {
			t.Run(fmt.Sprintf("%s %s %s", w.tz, w.from.Format("01-02"), expr), func(t *testing.T) {
				t.Parallel()
				loc := mustLoc(t, w.tz)
				to := w.from.Add(72 * time.Hour)
				want := referenceRuns(t, expr, loc, w.from, to)
				s, err := Parse(expr, w.tz)
				require.NoError(t, err)
				var gotRuns []time.Time
				for at := s.Next(w.from); !at.After(to); at = s.Next(at) {
					gotRuns = append(gotRuns, at)
				}
				require.Equal(t, format(want), format(gotRuns))
			})
		}
	}
}

func format(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Format("2006-01-02 15:04 MST") + " (" + t.UTC().Format("15:04Z") + ")"
	}
	return out
}
