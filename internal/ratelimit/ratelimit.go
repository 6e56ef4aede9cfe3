// Package ratelimit limits how often a key (a workflow's webhook, a
// tenant, a client IP) may act, with the generic cell rate algorithm
// (GCRA): a Rule of Rate events per Per with a Burst allows Burst events at
// once and then one every Per/Rate. The state of a key is one timestamp,
// the theoretical arrival time (TAT), kept in process (Memory) or in Redis
// (Redis) so that several nodes share it.
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Rule is a limit of Rate events per Per, with bursts of up to Burst. The
// zero Rule is disabled.
type Rule struct {
	Rate  int
	Per   time.Duration
	Burst int
}

// Enabled reports whether the rule limits anything.
func (r Rule) Enabled() bool { return r.Rate > 0 && r.Per > 0 && r.Burst > 0 }

// Interval is the time one event's allowance takes to come back.
func (r Rule) Interval() time.Duration {
	if !r.Enabled() {
		return 0
	}
	return max(r.Per/time.Duration(r.Rate), 1)
}

// Window is the rule as whole seconds for the RateLimit-Policy header: the
// time Burst events take to come back (at least 1 s), so Burst per Window
// is the sustained rate, rounded down when it does not divide evenly.
func (r Rule) Window() int {
	if !r.Enabled() {
		return 0
	}
	return max(int(math.Ceil((time.Duration(r.Burst) * r.Interval()).Seconds())), 1)
}

// String renders the rule as ParseRule reads it.
func (r Rule) String() string {
	if !r.Enabled() {
		return "off"
	}
	unit := r.Per.String()
	switch r.Per {
	case time.Second:
		unit = "s"
	case time.Minute:
		unit = "m"
	case time.Hour:
		unit = "h"
	}
	return fmt.Sprintf("%d/%s,%d", r.Rate, unit, r.Burst)
}

// ParseRule reads "RATE/UNIT[,BURST]": UNIT is s, m, h or a Go duration
// ("10s"); BURST defaults to RATE. "0", "off" and "" disable the limit.
// Examples: "50/s,100", "600/m,50", "5/10s".
func ParseRule(s string) (Rule, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" || s == "0" || s == "off" {
		return Rule{}, nil
	}
	spec, burstS, hasBurst := strings.Cut(s, ",")
	rateS, unit, ok := strings.Cut(strings.TrimSpace(spec), "/")
	if !ok {
		return Rule{}, fmt.Errorf("%q is not RATE/UNIT[,BURST] (e.g. 50/s,100) or off", s)
	}
	rate, err := strconv.Atoi(strings.TrimSpace(rateS))
	if err != nil || rate < 0 {
		return Rule{}, fmt.Errorf("rate %q is not a whole number ≥ 0", rateS)
	}
	var per time.Duration
	switch unit = strings.TrimSpace(unit); unit {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hour":
		per = time.Hour
	default:
		per, err = time.ParseDuration(unit)
		if err != nil || per <= 0 {
			return Rule{}, fmt.Errorf("unit %q is not s, m, h or a positive duration", unit)
		}
	}
	burst := rate
	if hasBurst {
		burst, err = strconv.Atoi(strings.TrimSpace(burstS))
		if err != nil || burst < 1 {
			return Rule{}, fmt.Errorf("burst %q is not a whole number ≥ 1", burstS)
		}
	}
	if rate == 0 {
		return Rule{}, nil
	}
	if per/time.Duration(rate) < time.Microsecond {
		return Rule{}, fmt.Errorf("rate %d per %s is above one per microsecond", rate, per)
	}
	return Rule{Rate: rate, Per: per, Burst: burst}, nil
}

// Result is the outcome of one Allow.
type Result struct {
	// Allowed: the event may go ahead (and was counted).
	Allowed bool
	// Limit is the rule's burst.
	Limit int
	// Remaining is how many more events would be allowed right now.
	Remaining int
	// RetryAfter is, when refused, how long until one event is allowed.
	RetryAfter time.Duration
	// Reset is how long until the whole burst is available again.
	Reset time.Duration
}

// Request is one key under one rule, for AllowAll.
type Request struct {
	Key  string
	Rule Rule
}

// Limiter decides whether keys may act under their rules. Implementations
// are safe for concurrent use.
type Limiter interface {
	// Allow decides one event of key under rule, counting it when allowed.
	Allow(ctx context.Context, key string, rule Rule) (Result, error)
	// AllowAll decides one event for several distinct keys at once, all or
	// nothing: it is counted against every key when each of them allows
	// it, and against none when any refuses (a post refused by a tenant's
	// limit does not use up its workflow's or its client's budget).
	// results[i] is reqs[i]'s outcome; the event went ahead exactly when
	// every result is Allowed (see AllAllowed). When it did not, nothing
	// was counted: a key that would have allowed it reports Allowed with
	// the Remaining and Reset it has now.
	AllowAll(ctx context.Context, reqs ...Request) ([]Result, error)
	// Peek reports what Allow would decide for key now, without counting
	// anything: Remaining and Reset are the key's current state.
	Peek(ctx context.Context, key string, rule Rule) (Result, error)
}

// AllAllowed reports whether every result allowed its event (so
// AllowAll counted it).
func AllAllowed(results []Result) bool {
	for _, r := range results {
		if !r.Allowed {
			return false
		}
	}
	return true
}

// untaken turns an allowed result computed as if the event were counted
// into the key's state without it.
func untaken(res Result, rule Rule) Result {
	res.Remaining = min(res.Remaining+1, rule.Burst)
	res.Reset = max(res.Reset-rule.Interval(), 0)
	return res
}

// gcra decides on one event at now for a key whose theoretical arrival
// time is tat (zero: unknown), all in the same unit as interval. It returns
// the result and the new TAT to store (0 when refused: keep the old one).
func gcra(now, tat, interval int64, burst int, unit time.Duration) (Result, int64) {
	tat = max(tat, now)
	newTAT := tat + interval
	allowAt := newTAT - interval*int64(burst)
	res := Result{Limit: burst}
	if now < allowAt {
		res.RetryAfter = time.Duration(allowAt-now) * unit
		res.Reset = time.Duration(tat-now) * unit
		return res, 0
	}
	res.Allowed = true
	res.Remaining = int((now - allowAt) / interval)
	res.Reset = time.Duration(newTAT-now) * unit
	return res, newTAT
}
