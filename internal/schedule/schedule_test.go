package schedule

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// 2026 changes: America/New_York springs forward on 8 March (02:00 EST →
// 03:00 EDT) and falls back on 1 November (02:00 EDT → 01:00 EST);
// Europe/Berlin springs forward on 29 March (02:00 CET → 03:00 CEST) and
// falls back on 25 October (03:00 CEST → 02:00 CET).

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func runs(t *testing.T, expr, tz string, from time.Time, n int) []string {
	t.Helper()
	s, err := Parse(expr, tz)
	require.NoError(t, err)
	var out []string
	for _, r := range s.NextN(from, n) {
		out = append(out, r.Format("2006-01-02 15:04:05 MST"))
	}
	return out
}

func TestNextDST(t *testing.T) {
	t.Parallel()
	ny := mustLoc(t, "America/New_York")
	berlin := mustLoc(t, "Europe/Berlin")

	tests := []struct {
		name string
		expr string
		tz   string
		from time.Time
		n    int
		want []string
	}{
		{
			name: "new york daily 02:30 spring forward fires at 03:00",
			expr: "30 2 * * *", tz: "America/New_York",
			from: time.Date(2026, 3, 7, 12, 0, 0, 0, ny), n: 3,
			want: []string{"2026-03-08 03:00:00 EDT", "2026-03-09 02:30:00 EDT", "2026-03-10 02:30:00 EDT"},
		},
		{
			name: "new york daily 01:30 fall back fires once",
			expr: "30 1 * * *", tz: "America/New_York",
			from: time.Date(2026, 10, 31, 12, 0, 0, 0, ny), n: 3,
			want: []string{"2026-11-01 01:30:00 EDT", "2026-11-02 01:30:00 EST", "2026-11-03 01:30:00 EST"},
		},
		{
			name: "new york daily 02:30 fall back (not repeated there) fires once",
			expr: "30 2 * * *", tz: "America/New_York",
			from: time.Date(2026, 10, 31, 12, 0, 0, 0, ny), n: 2,
			want: []string{"2026-11-01 02:30:00 EST", "2026-11-02 02:30:00 EST"},
		},
		{
			name: "berlin daily 02:30 spring forward fires at 03:00",
			expr: "30 2 * * *", tz: "Europe/Berlin",
			from: time.Date(2026, 3, 28, 12, 0, 0, 0, berlin), n: 3,
			want: []string{"2026-03-29 03:00:00 CEST", "2026-03-30 02:30:00 CEST", "2026-03-31 02:30:00 CEST"},
		},
		{
			name: "berlin daily 02:30 fall back fires once, at the first 02:30",
			expr: "30 2 * * *", tz: "Europe/Berlin",
			from: time.Date(2026, 10, 24, 12, 0, 0, 0, berlin), n: 3,
			want: []string{"2026-10-25 02:30:00 CEST", "2026-10-26 02:30:00 CET", "2026-10-27 02:30:00 CET"},
		},
		{
			name: "berlin from inside the repeated hour after the first 02:30",
			expr: "30 2 * * *", tz: "Europe/Berlin",
			from: time.Date(2026, 10, 25, 0, 45, 0, 0, time.UTC), // 02:45 CEST
			n:    1,
			want: []string{"2026-10-26 02:30:00 CET"},
		},
		{
			name: "new york hourly spring forward: 23 runs that day, no gap in real time",
			expr: "0 * * * *", tz: "America/New_York",
			from: time.Date(2026, 3, 8, 0, 30, 0, 0, ny), n: 4,
			want: []string{"2026-03-08 01:00:00 EST", "2026-03-08 03:00:00 EDT", "2026-03-08 04:00:00 EDT", "2026-03-08 05:00:00 EDT"},
		},
		{
			name: "new york hourly fall back: both 01:00s, one hour apart",
			expr: "0 * * * *", tz: "America/New_York",
			from: time.Date(2026, 11, 1, 0, 30, 0, 0, ny), n: 4,
			want: []string{"2026-11-01 01:00:00 EDT", "2026-11-01 01:00:00 EST", "2026-11-01 02:00:00 EST", "2026-11-01 03:00:00 EST"},
		},
		{
			name: "berlin hourly spring forward",
			expr: "@hourly", tz: "Europe/Berlin",
			from: time.Date(2026, 3, 29, 0, 30, 0, 0, berlin), n: 3,
			want: []string{"2026-03-29 01:00:00 CET", "2026-03-29 03:00:00 CEST", "2026-03-29 04:00:00 CEST"},
		},
		{
			name: "berlin hourly fall back",
			expr: "@hourly", tz: "Europe/Berlin",
			from: time.Date(2026, 10, 25, 1, 30, 0, 0, berlin), n: 4,
			want: []string{"2026-10-25 02:00:00 CEST", "2026-10-25 02:00:00 CET", "2026-10-25 03:00:00 CET", "2026-10-25 04:00:00 CET"},
		},
		{
			name: "every 15 minutes across spring-forward gap collapses to one run at 03:00",
			expr: "*/15 * * * *", tz: "America/New_York",
			from: time.Date(2026, 3, 8, 1, 40, 0, 0, ny), n: 3,
			want: []string{"2026-03-08 01:45:00 EST", "2026-03-08 03:00:00 EDT", "2026-03-08 03:15:00 EDT"},
		},
		{
			name: "every 30 minutes through the repeated hour keeps real-time cadence",
			expr: "*/30 * * * *", tz: "America/New_York",
			from: time.Date(2026, 11, 1, 1, 10, 0, 0, ny), n: 4,
			want: []string{"2026-11-01 01:30:00 EDT", "2026-11-01 01:00:00 EST", "2026-11-01 01:30:00 EST", "2026-11-01 02:00:00 EST"},
		},
		{
			name: "starting in the second occurrence of the repeated hour",
			expr: "30 1 * * *", tz: "America/New_York",
			from: time.Date(2026, 11, 1, 6, 10, 0, 0, time.UTC), // 01:10 EST
			n:    1,
			want: []string{"2026-11-02 01:30:00 EST"},
		},
		{
			name: "weekly monday 09:00 berlin across the change",
			expr: "0 9 * * 1", tz: "Europe/Berlin",
			from: time.Date(2026, 3, 25, 0, 0, 0, 0, berlin), n: 2,
			want: []string{"2026-03-30 09:00:00 CEST", "2026-04-06 09:00:00 CEST"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, runs(t, tc.expr, tc.tz, tc.from, tc.n))
		})
	}
}

func TestNextDailyOncePerDayAcrossYear(t *testing.T) {
	t.Parallel()
	for _, tz := range []string{"America/New_York", "Europe/Berlin"} {
		loc := mustLoc(t, tz)
		s, err := Parse("30 2 * * *", tz)
		require.NoError(t, err)
		got := s.NextN(time.Date(2026, 1, 1, 0, 0, 0, 0, loc), 365)
		require.Len(t, got, 365)
		for i, r := range got {
			want := time.Date(2026, 1, 1+i, 0, 0, 0, 0, loc)
			y, m, d := r.Date()
			require.Equal(t, want.Format("2006-01-02"), time.Date(y, m, d, 0, 0, 0, 0, loc).Format("2006-01-02"), "%s run %d", tz, i)
		}
	}
}

func TestDescriptors(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 5, 13, 10, 20, 30, 0, time.UTC) // a Wednesday
	tests := []struct {
		expr string
		want []string
	}{
		{"@hourly", []string{"2026-05-13 11:00:00 UTC", "2026-05-13 12:00:00 UTC"}},
		{"@daily", []string{"2026-05-14 00:00:00 UTC", "2026-05-15 00:00:00 UTC"}},
		{"@midnight", []string{"2026-05-14 00:00:00 UTC", "2026-05-15 00:00:00 UTC"}},
		{"@weekly", []string{"2026-05-17 00:00:00 UTC", "2026-05-24 00:00:00 UTC"}},
		{"@monthly", []string{"2026-06-01 00:00:00 UTC", "2026-07-01 00:00:00 UTC"}},
		{"@yearly", []string{"2027-01-01 00:00:00 UTC", "2028-01-01 00:00:00 UTC"}},
		{"@annually", []string{"2027-01-01 00:00:00 UTC", "2028-01-01 00:00:00 UTC"}},
		{"@every 15m", []string{"2026-05-13 10:35:30 UTC", "2026-05-13 10:50:30 UTC"}},
		{"*/20 * * * * *", []string{"2026-05-13 10:20:40 UTC", "2026-05-13 10:21:00 UTC"}},
		{"0 9 * * 1-5", []string{"2026-05-14 09:00:00 UTC", "2026-05-15 09:00:00 UTC"}},
		{"0 0 29 2 *", []string{"2028-02-29 00:00:00 UTC", "2032-02-29 00:00:00 UTC"}},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, runs(t, tc.expr, "", from, 2))
		})
	}
}

func TestDescriptorInTimezone(t *testing.T) {
	t.Parallel()
	require.Equal(t,
		[]string{"2026-03-29 00:00:00 CET", "2026-03-30 00:00:00 CEST"},
		runs(t, "@daily", "Europe/Berlin", time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC), 2))
}

func TestNeverRuns(t *testing.T) {
	t.Parallel()
	s, err := Parse("0 0 30 2 *", "UTC")
	require.NoError(t, err)
	require.True(t, s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero())
	require.Empty(t, s.NextN(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 3))
	require.Zero(t, s.MinInterval(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, tz string
		kind     error
		contains string
	}{
		{"0 25 * * *", "UTC", ErrInvalidCron, `hour field "25"`},
		{"61 * * * *", "UTC", ErrInvalidCron, `minute field "61"`},
		{"0 9 * * mon-fry", "UTC", ErrInvalidCron, `day-of-week field "mon-fry"`},
		{"0 9 * 13 *", "UTC", ErrInvalidCron, `month field "13"`},
		{"0 9 *", "UTC", ErrInvalidCron, "expected 5 fields"},
		{"", "UTC", ErrInvalidCron, "empty"},
		{"@fortnightly", "UTC", ErrInvalidCron, "descriptors are"},
		{"@every 0s", "UTC", ErrInvalidCron, "at least 1s"},
		{"CRON_TZ=UTC 0 9 * * *", "UTC", ErrInvalidCron, "timezone separately"},
		{"0 9 * * *", "Mars/Olympus", ErrInvalidTimezone, `"Mars/Olympus"`},
		{"0 9 * * *", "Local", ErrInvalidTimezone, "IANA"},
	}
	for _, tc := range tests {
		t.Run(tc.expr+"|"+tc.tz, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.expr, tc.tz)
			require.Error(t, err)
			require.True(t, errors.Is(err, tc.kind), "%v", err)
			require.Contains(t, err.Error(), tc.contains)
		})
	}
}

func TestMinInterval(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 13, 10, 0, 0, 0, time.UTC)
	for expr, want := range map[string]time.Duration{
		"*/5 * * * *":  5 * time.Minute,
		"0 9 * * 1-5":  24 * time.Hour,
		"@every 90s":   90 * time.Second,
		"0 9,17 * * *": 8 * time.Hour,
		"@monthly":     28 * 24 * time.Hour * 0, // filled below
	} {
		s, err := Parse(expr, "UTC")
		require.NoError(t, err)
		if expr == "@monthly" {
			// Next 12 months from May 2026: the shortest is 28 days (February).
			want = 28 * 24 * time.Hour
		}
		require.Equal(t, want, s.MinInterval(now), expr)
	}
}

func TestScheduleAccessors(t *testing.T) {
	t.Parallel()
	s, err := Parse(" 0 9 * * 1 ", "Europe/Berlin")
	require.NoError(t, err)
	require.Equal(t, "0 9 * * 1", s.String())
	require.Equal(t, "Europe/Berlin", s.Location().String())
	s, err = Parse("0 9 * * 1", "")
	require.NoError(t, err)
	require.Equal(t, time.UTC, s.Location())
}

func TestNextAt(t *testing.T) {
	t.Parallel()
	ny := mustLoc(t, "America/New_York")
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		after time.Time
		clock string
		loc   *time.Location
		want  string
	}{
		{time.Date(2026, 5, 13, 8, 0, 0, 0, berlin), "09:00", berlin, "2026-05-13 09:00:00 CEST"},
		{time.Date(2026, 5, 13, 9, 0, 0, 0, berlin), "09:00", berlin, "2026-05-14 09:00:00 CEST"},
		{time.Date(2026, 5, 13, 23, 0, 0, 0, time.UTC), "00:30", nil, "2026-05-14 00:30:00 UTC"},
		{time.Date(2026, 3, 7, 12, 0, 0, 0, ny), "02:30", ny, "2026-03-08 03:00:00 EDT"},
		{time.Date(2026, 10, 24, 12, 0, 0, 0, berlin), "02:30", berlin, "2026-10-25 02:30:00 CEST"},
	}
	for _, tc := range tests {
		got, err := NextAt(tc.after, tc.clock, tc.loc)
		require.NoError(t, err)
		require.Equal(t, tc.want, got.Format("2006-01-02 15:04:05 MST"))
	}
	for _, bad := range []string{"9:00", "24:00", "12:60", "ab:cd", "", "12:00:00"} {
		_, err := NextAt(time.Now(), bad, time.UTC)
		require.Error(t, err, bad)
	}
}

func BenchmarkNextDaily(b *testing.B) {
	s, err := Parse("30 2 * * *", "Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		at = s.Next(at)
	}
}
