// Package schedule computes the run times of a trigger.schedule: it parses
// cron expressions (standard five fields, an optional leading seconds field,
// and the descriptors @yearly, @monthly, @weekly, @daily, @hourly and
// @every <duration>) with github.com/robfig/cron/v3 and computes the next
// run in an IANA timezone, correctly across daylight-saving changes.
//
// The wall-clock rules across DST are those of Vixie cron, which is what
// people who write cron expressions expect:
//
//   - A wall-clock time that does not exist (skipped by a spring-forward
//     change) fires once, at the first valid instant after the gap (a daily
//     02:30 in America/New_York fires at 03:00 EDT on the change day). Several
//     skipped times collapse into that single run.
//   - A wall-clock time that happens twice (repeated by a fall-back change)
//     fires once, at its first occurrence, unless the schedule fires every
//     hour (its hour field matches all 24 hours, as in "0 * * * *" or
//     "*/15 * * * *"); such schedules keep their cadence in real time and fire
//     in both occurrences of the repeated hour.
//
// robfig/cron's own SpecSchedule.Next skips a spring-forward day entirely
// for a time inside the gap and can fire twice in a repeated hour, so this
// package uses its parser only and searches wall-clock time itself.
package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // timezone data for machines without /usr/share/zoneinfo

	"github.com/robfig/cron/v3"
)

// ErrInvalidCron is wrapped by Parse errors about the cron expression.
var ErrInvalidCron = errors.New("invalid cron expression")

// ErrInvalidTimezone is wrapped by Parse errors about the timezone.
var ErrInvalidTimezone = errors.New("invalid timezone")

// searchLimit bounds the search for the next run: a schedule that matches
// no date within it (such as "0 0 30 2 *") never runs.
const searchLimit = 5 * 366 * 24 * time.Hour

// allHours is the Hour bitfield of a schedule that matches every hour.
const allHours = 1<<24 - 1

// Schedule is a parsed cron expression bound to a timezone. It is safe for
// concurrent use.
type Schedule struct {
	expr     string
	loc      *time.Location
	spec     *cron.SpecSchedule // wall-clock fields, Location UTC; nil for @every
	every    time.Duration      // @every interval, zero for spec schedules
	hourly   bool               // spec matches all 24 hours
	timezone string
}

// fieldNames names the fields of a five- or six-field expression.
var (
	fiveFields = []string{"minute", "hour", "day-of-month", "month", "day-of-week"}
	sixFields  = []string{"second", "minute", "hour", "day-of-month", "month", "day-of-week"}
)

func newParser() cron.Parser {
	return cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// LoadLocation resolves an IANA timezone name. An empty name means UTC;
// "Local" is rejected because a server's local zone is not a user's zone.
func LoadLocation(timezone string) (*time.Location, error) {
	if timezone == "" || timezone == "UTC" {
		return time.UTC, nil
	}
	if timezone == "Local" {
		return nil, fmt.Errorf("%w %q: use an IANA name such as Europe/Berlin", ErrInvalidTimezone, timezone)
	}
	loc, err := time.LoadLocation(timezone)
	if err != nil {
		return nil, fmt.Errorf("%w %q: not a known IANA timezone (such as Europe/Berlin or America/New_York)", ErrInvalidTimezone, timezone)
	}
	return loc, nil
}

// Parse parses a cron expression to run in the given IANA timezone (empty
// means UTC). Errors wrap ErrInvalidCron or ErrInvalidTimezone and name the
// field that is wrong.
func Parse(expr, timezone string) (*Schedule, error) {
	loc, err := LoadLocation(timezone)
	if err != nil {
		return nil, err
	}
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, fmt.Errorf("%w: empty expression", ErrInvalidCron)
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, fmt.Errorf("%w %q: set the timezone separately, not with a TZ= prefix", ErrInvalidCron, expr)
	}
	p := newParser()
	parsed, err := p.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %s", ErrInvalidCron, expr, explain(p, expr, err))
	}
	s := &Schedule{expr: expr, loc: loc, timezone: loc.String()}
	switch sch := parsed.(type) {
	case *cron.SpecSchedule:
		spec := *sch
		spec.Location = time.UTC
		s.spec = &spec
		s.hourly = spec.Hour&allHours == allHours
	case cron.ConstantDelaySchedule:
		raw := strings.TrimSpace(strings.TrimPrefix(expr, "@every"))
		if d, derr := time.ParseDuration(raw); derr != nil || d < time.Second {
			return nil, fmt.Errorf("%w %q: @every needs an interval of at least 1s", ErrInvalidCron, expr)
		}
		s.every = sch.Delay
	default:
		return nil, fmt.Errorf("%w %q: unsupported schedule kind %T", ErrInvalidCron, expr, parsed)
	}
	return s, nil
}

// explain turns a robfig/cron parse error into one that names the field.
func explain(p cron.Parser, expr string, err error) string {
	if strings.HasPrefix(expr, "@") {
		return fmt.Sprintf("%v (descriptors are @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly and @every <duration> such as @every 15m)", err)
	}
	fields := strings.Fields(expr)
	var names []string
	switch len(fields) {
	case 5:
		names = fiveFields
	case 6:
		names = sixFields
	default:
		return fmt.Sprintf("expected 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field, found %d", len(fields))
	}
	for i, f := range fields {
		probe := make([]string, len(fields))
		for j := range probe {
			probe[j] = "*"
		}
		probe[i] = f
		if _, perr := p.Parse(strings.Join(probe, " ")); perr != nil {
			return fmt.Sprintf("%s field %q: %v", names[i], f, perr)
		}
	}
	return err.Error()
}

// String returns the expression as parsed.
func (s *Schedule) String() string { return s.expr }

// Location returns the schedule's timezone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next returns the first run strictly after the given instant, in the
// schedule's timezone, or the zero time if the schedule never runs again
// (within five years).
func (s *Schedule) Next(after time.Time) time.Time {
	if s.every > 0 {
		// Same as robfig/cron: whole seconds after the previous run.
		return after.Add(s.every - time.Duration(after.Nanosecond())).In(s.loc)
	}
	after = after.In(s.loc)
	_, offAfter := after.Zone()
	minOff := offAfter
	for _, d := range []time.Duration{-48 * time.Hour, 48 * time.Hour} {
		if _, o := after.Add(d).Zone(); o < minOff {
			minOff = o
		}
	}
	// A wall-clock time t can map to an instant after `after` only if
	// t > wall(after) + offset(t) - offset(after); start there.
	cursor := naive(after).Add(time.Duration(minOff-offAfter) * time.Second).Add(-time.Second)
	limit := naive(after).Add(searchLimit)
	// Wall-clock order and real-time order differ around a fall-back change
	// (01:30 EDT comes before 01:00 EST), so keep the earliest instant found
	// and stop once no later wall-clock time can map before it.
	var best time.Time
	bestMaxOff := 0
	for cursor.Before(limit) {
		wall := s.spec.Next(cursor)
		if wall.IsZero() {
			break
		}
		if !best.IsZero() && wall.Unix()-int64(bestMaxOff) > best.Unix() {
			break
		}
		for _, inst := range s.instants(wall) {
			if inst.After(after) && (best.IsZero() || inst.Before(best)) {
				best = inst
				bestMaxOff = maxOffsetAround(best)
			}
		}
		cursor = wall
	}
	return best
}

// maxOffsetAround returns the largest UTC offset (seconds) in effect within
// two days of t.
func maxOffsetAround(t time.Time) int {
	_, m := t.Zone()
	for _, d := range []time.Duration{-48 * time.Hour, 48 * time.Hour} {
		if _, o := t.Add(d).Zone(); o > m {
			m = o
		}
	}
	return m
}

// NextN returns the next n runs after the given instant (fewer if the
// schedule stops running).
func (s *Schedule) NextN(after time.Time, n int) []time.Time {
	out := make([]time.Time, 0, max(n, 0))
	t := after
	for range n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// minIntervalRuns is how many upcoming runs MinInterval looks at.
const minIntervalRuns = 12

// MinInterval estimates the schedule's shortest interval between runs: the
// smallest gap among its next few runs after now. It returns zero when the
// schedule runs fewer than twice. Plans may use it to limit how often a
// workflow can fire.
func (s *Schedule) MinInterval(now time.Time) time.Duration {
	if s.every > 0 {
		return s.every
	}
	runs := s.NextN(now, minIntervalRuns)
	var best time.Duration
	for i := 1; i < len(runs); i++ {
		if gap := runs[i].Sub(runs[i-1]); best == 0 || gap < best {
			best = gap
		}
	}
	return best
}

// naive returns t's wall clock as a UTC time with the same fields.
func naive(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return time.Date(y, mo, d, h, mi, sec, 0, time.UTC)
}

// instants maps a wall-clock time (as a naive UTC time) to the instants at
// which the schedule fires for it in s.loc, earliest first: one for an
// ordinary time, the end of the gap for a skipped time, and the first (or,
// for schedules that fire every hour, both) occurrences of a repeated time.
func (s *Schedule) instants(wall time.Time) []time.Time {
	n := wall.Unix()
	offsets := map[int]struct{}{}
	for _, d := range []int64{-86400, 0, 86400} {
		_, o := time.Unix(n+d, 0).In(s.loc).Zone()
		offsets[o] = struct{}{}
	}
	var valid []time.Time
	lowOff, highOff := 0, 0
	first := true
	for o := range offsets {
		if first || o < lowOff {
			lowOff = o
		}
		if first || o > highOff {
			highOff = o
		}
		first = false
		inst := time.Unix(n-int64(o), 0).In(s.loc)
		if _, got := inst.Zone(); got == o {
			valid = append(valid, inst)
		}
	}
	switch len(valid) {
	case 0:
		// Skipped by a spring-forward change: fire when the gap ends.
		before := time.Unix(n-int64(highOff), 0).In(s.loc)
		_, end := before.ZoneBounds()
		if end.IsZero() {
			return []time.Time{time.Unix(n-int64(lowOff), 0).In(s.loc)}
		}
		return []time.Time{end.In(s.loc)}
	case 1:
		return valid
	default:
		if valid[1].Before(valid[0]) {
			valid[0], valid[1] = valid[1], valid[0]
		}
		if s.hourly {
			return valid[:2]
		}
		return valid[:1]
	}
}

// NextAt returns the first instant strictly after the given one at which
// the wall clock in loc reads clock ("HH:MM", 24-hour) — what a delay
// "until 09:00" waits for. A clock time skipped by a spring-forward change
// resolves to the end of the gap and a repeated one to its first
// occurrence, as for schedules.
func NextAt(after time.Time, clock string, loc *time.Location) (time.Time, error) {
	var h, m int
	if len(clock) != 5 || clock[2] != ':' {
		return time.Time{}, fmt.Errorf("parse time of day %q: want HH:MM", clock)
	}
	if _, err := fmt.Sscanf(clock, "%02d:%02d", &h, &m); err != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return time.Time{}, fmt.Errorf("parse time of day %q: want HH:MM between 00:00 and 23:59", clock)
	}
	if loc == nil {
		loc = time.UTC
	}
	spec := cron.SpecSchedule{
		Second: 1 << 0, Minute: 1 << uint(m), Hour: 1 << uint(h),
		Dom: 1<<63 | (1<<32 - 2), Month: 1<<63 | (1<<13 - 2), Dow: 1<<63 | (1<<7 - 1),
		Location: time.UTC,
	}
	s := &Schedule{expr: clock, loc: loc, spec: &spec, timezone: loc.String()}
	return s.Next(after), nil
}
