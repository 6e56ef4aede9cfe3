package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/expr"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// nodeResult is the outcome of a pure node.
type nodeResult struct {
	output any
	handle string
}

// nodeError is a node failure. Retryable failures are retried with backoff
// up to the node's attempt limit.
type nodeError struct {
	msg       string
	retryable bool
}

func (e *nodeError) Error() string { return e.msg }

func permanent(format string, args ...any) *nodeError {
	return &nodeError{msg: fmt.Sprintf(format, args...)}
}

func decodeConfig(n *workflow.Node, v any) error {
	if len(n.Config) == 0 || string(n.Config) == "null" {
		return nil
	}
	if err := json.Unmarshal(n.Config, v); err != nil {
		return fmt.Errorf("node %s: decode %s config: %w", n.ID, n.Type, err)
	}
	return nil
}

// prepared is a pure node's decoded config and compiled expressions,
// built once per workflow version.
type prepared struct {
	err error // a config or compile error, reported on every visit

	cond *expr.Program

	variants []workflow.SplitVariant
	total    float64

	target string
	attrs  []preparedAttr
}

type preparedAttr struct {
	name string
	prg  *expr.Program
}

// prepare decodes and compiles a pure node.
func (e *Engine) prepare(n *workflow.Node) *prepared {
	p := &prepared{}
	switch n.Type {
	case workflow.TypeCondition:
		var cfg workflow.ConditionConfig
		if err := decodeConfig(n, &cfg); err != nil {
			p.err = err
		} else if p.cond, err = e.expr.CompileBool(cfg.Expression); err != nil {
			p.err = fmt.Errorf("condition: %w", err)
		}
	case workflow.TypeSplit:
		var cfg workflow.SplitConfig
		if err := decodeConfig(n, &cfg); err != nil {
			p.err = err
			break
		}
		for _, v := range cfg.Variants {
			if v.Weight > 0 {
				p.variants = append(p.variants, v)
				p.total += v.Weight
			}
		}
		if p.total <= 0 {
			p.err = errors.New("split: no variant with a positive weight")
		}
	case workflow.TypeSetAttribute:
		var cfg workflow.SetAttributeConfig
		if err := decodeConfig(n, &cfg); err != nil {
			p.err = err
			break
		}
		p.target = cfg.Target
		names := slices.Sorted(maps.Keys(cfg.Attributes))
		for _, name := range names {
			prg, err := e.expr.Compile(cfg.Attributes[name])
			if err != nil {
				p.err = fmt.Errorf("set_attribute %s: %w", name, err)
				break
			}
			p.attrs = append(p.attrs, preparedAttr{name: name, prg: prg})
		}
	}
	return p
}

// runPure evaluates a pure node; p is its preparation (nil: prepared now).
func (e *Engine) runPure(ctx context.Context, n *workflow.Node, p *prepared, c *execContext, executionID uuid.UUID) (nodeResult, *nodeError) {
	if isTrigger(n.Type) {
		return nodeResult{output: c.Trigger}, nil
	}
	if p == nil {
		p = e.prepare(n)
	}
	if p.err != nil {
		return nodeResult{}, permanent("%v", p.err)
	}
	switch n.Type {
	case workflow.TypeCondition:
		ok, err := p.cond.EvalBool(ctx, c.activation(e.now()))
		if err != nil {
			return nodeResult{}, permanent("condition: %v", err)
		}
		h := handleFalse
		if ok {
			h = handleTrue
		}
		return nodeResult{output: map[string]any{"result": ok}, handle: h}, nil

	case workflow.TypeSplit:
		point := splitPoint(executionID, n.ID) * p.total
		chosen := ""
		for _, v := range p.variants {
			chosen = v.Name
			if point < v.Weight {
				break
			}
			point -= v.Weight
		}
		return nodeResult{output: map[string]any{"variant": chosen}, handle: chosen}, nil

	case workflow.TypeSetAttribute:
		// The attributes share one budget of time and result size, so
		// their number multiplies no bound (#12).
		ctx := e.expr.WithBudget(ctx)
		act := c.activation(e.now())
		out := make(map[string]any, len(p.attrs))
		for _, a := range p.attrs {
			v, err := a.prg.Eval(ctx, act)
			if err != nil {
				return nodeResult{}, permanent("set_attribute %s: %v", a.name, err)
			}
			out[a.name] = v
		}
		// Values become visible together, after all are evaluated: in vars,
		// or in the contact's attributes as this execution sees them.
		target := c.Vars
		if p.target != "vars" {
			attrs, _ := c.Contact["attributes"].(map[string]any)
			if attrs == nil {
				attrs = map[string]any{}
				c.Contact["attributes"] = attrs
			}
			target = attrs
		}
		for name, v := range out {
			target[name] = v
		}
		return nodeResult{output: out}, nil
	}
	return nodeResult{}, permanent("node type %q is not pure", n.Type)
}

// splitPoint maps (execution, node) to a stable number in [0, 1).
func splitPoint(executionID uuid.UUID, nodeID string) float64 {
	h := fnv.New64a()
	_, _ = h.Write(executionID[:])
	_, _ = h.Write([]byte(nodeID))
	return float64(h.Sum64()>>11) / float64(1<<53)
}

// delayConfig is the config of a delay node.
type delayConfig struct {
	Duration string `json:"duration"`
	Until    string `json:"until"`
	// Timezone is "contact" (the default) or an IANA zone name.
	Timezone string `json:"timezone"`
}

// dueAt computes when a delay ends.
func dueAt(n *workflow.Node, c *execContext, now time.Time) (time.Time, *nodeError) {
	var cfg delayConfig
	if err := decodeConfig(n, &cfg); err != nil {
		return time.Time{}, permanent("%v", err)
	}
	if cfg.Until != "" {
		hh, mm, ok := parseClock(cfg.Until)
		if !ok {
			return time.Time{}, permanent("delay: until %q is not HH:MM", cfg.Until)
		}
		loc := time.UTC
		zone := cfg.Timezone
		if zone == "" || zone == "contact" {
			zone, _ = c.Contact["timezone"].(string)
		}
		if zone != "" {
			l, err := time.LoadLocation(zone)
			if err == nil {
				loc = l
			} else if cfg.Timezone != "" && cfg.Timezone != "contact" {
				return time.Time{}, permanent("delay: unknown timezone %q", cfg.Timezone)
			}
		}
		local := now.In(loc)
		due := time.Date(local.Year(), local.Month(), local.Day(), hh, mm, 0, 0, loc)
		if !due.After(now) {
			due = time.Date(local.Year(), local.Month(), local.Day()+1, hh, mm, 0, 0, loc)
		}
		return due, nil
	}
	d, err := workflow.ParseDuration(cfg.Duration)
	if err != nil {
		return time.Time{}, permanent("delay: %v", err)
	}
	return now.Add(d), nil
}

func parseClock(s string) (int, int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, 0, false
	}
	return hh, mm, true
}

// waitConfig is the config of a wait_for_event node.
type waitConfig struct {
	Event          string `json:"event"`
	Timeout        string `json:"timeout"`
	CorrelationKey string `json:"correlationKey"`
}

// correlationValue finds the wait's correlation value in the context: a
// variable of that name, else a property of the triggering event
// (trigger.event.properties, then trigger.event itself), else a field of
// the start's input (trigger.input: a manual start's input, a webhook's
// body). An awaited event matches when its property of that name has the
// same value (eventCorrelation formats both alike).
func correlationValue(c *execContext, key string) string {
	if key == "" {
		return ""
	}
	if v, ok := c.Vars[key]; ok && v != nil {
		return scalarString(v)
	}
	if ev, ok := c.Trigger["event"].(map[string]any); ok {
		if props, ok := ev["properties"].(map[string]any); ok {
			if v, ok := props[key]; ok && v != nil {
				return scalarString(v)
			}
		}
		if v, ok := ev[key]; ok && v != nil {
			return scalarString(v)
		}
	}
	for _, field := range []string{"input", "body"} {
		if in, ok := c.Trigger[field].(map[string]any); ok {
			if v, ok := in[key]; ok && v != nil {
				return scalarString(v)
			}
		}
	}
	return ""
}

func scalarString(v any) string {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	return fmt.Sprint(v)
}

// retryConfig is the retry policy of any failing node: maxAttempts at the
// top of its config, or a retry block with maxAttempts and backoff.
type retryConfig struct {
	MaxAttempts int `json:"maxAttempts"`
	Retry       struct {
		MaxAttempts int    `json:"maxAttempts"`
		Backoff     string `json:"backoff"`
	} `json:"retry"`
}

// retryPolicy returns a node's attempt limit and first backoff.
func retryPolicy(n *workflow.Node) (int, time.Duration) {
	var cfg retryConfig
	_ = decodeConfig(n, &cfg)
	maxAttempts := cfg.Retry.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = cfg.MaxAttempts
	}
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	backoff := DefaultBackoff
	if cfg.Retry.Backoff != "" {
		if d, err := workflow.ParseDuration(cfg.Retry.Backoff); err == nil {
			backoff = d
		}
	}
	return maxAttempts, backoff
}

// backoffFor is the delay before attempt+1: base·2^(attempt-1), capped.
func backoffFor(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}
