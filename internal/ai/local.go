package ai

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// LocalModel is the model name the local provider reports.
const LocalModel = "local-deterministic"

// LocalPrefix starts every text answer of the local provider, so nobody
// mistakes it for a model's.
const LocalPrefix = "[local AI provider: offline, deterministic, not a model] "

// Local is the offline provider for development and tests: it answers at
// once, the same way for the same request, and says so. Text answers start
// with LocalPrefix and echo the start of the last user message; structured
// answers are built from the schema (an enum value the input names, or
// "other"; for object properties, a "name: value" line of the input).
// It is used only when a tenant's settings choose it.
type Local struct{}

// Name implements Provider.
func (Local) Name() string { return ProviderLocal }

// Complete implements Provider.
func (Local) Complete(ctx context.Context, req Request) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, transportError(ProviderLocal, err, false)
	}
	input := ""
	for _, m := range req.Messages {
		if m.Role == RoleUser {
			input = m.Content
		}
	}
	var text string
	if len(req.Schema) > 0 {
		var schema map[string]any
		if err := json.Unmarshal(req.Schema, &schema); err != nil {
			return nil, fmt.Errorf("local: output schema: %w", err)
		}
		b, err := json.Marshal(localValue(schema, "", input, 0))
		if err != nil {
			return nil, fmt.Errorf("local: encode answer: %w", err)
		}
		text = string(b)
	} else {
		text = LocalPrefix + clip(strings.TrimSpace(input), 200)
		if mt := int(req.maxTokens()) * 4; len(text) > mt {
			text = clip(text, mt)
		}
	}
	in := len(req.System)
	for _, m := range req.Messages {
		in += len(m.Content)
	}
	return &Response{
		Text: text, Model: LocalModel, TokensIn: int64(in/4 + 1), TokensOut: int64(len(text)/4 + 1),
		Latency: time.Millisecond, FinishReason: "stop",
	}, nil
}

// localValue builds a value for schema s deterministically from input.
func localValue(s map[string]any, name, input string, depth int) any {
	if depth > 8 {
		return nil
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		low := strings.ToLower(input)
		for _, v := range enum {
			if str, ok := v.(string); ok && str != "other" && wordIn(low, strings.ToLower(str)) {
				return str
			}
		}
		for _, v := range enum {
			if v == "other" {
				return v
			}
		}
		return enum[0]
	}
	typ, _ := s["type"].(string)
	if types, ok := s["type"].([]any); ok && len(types) > 0 {
		typ, _ = types[0].(string)
	}
	switch typ {
	case "object":
		props, _ := s["properties"].(map[string]any)
		out := make(map[string]any, len(props))
		for k, v := range props {
			ps, _ := v.(map[string]any)
			if val := localValue(ps, k, input, depth+1); val != nil {
				out[k] = val
			}
		}
		return out
	case "array":
		return []any{}
	case "string":
		if v, ok := field(input, name); ok {
			return v
		}
		if name == "reason" || name == "explanation" {
			return "chosen by the local provider (no model was called)"
		}
		return ""
	case "integer":
		v, _ := field(input, name)
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	case "number":
		v, _ := field(input, name)
		f, _ := strconv.ParseFloat(v, 64)
		return f
	case "boolean":
		v, _ := field(input, name)
		return v == "true" || v == "yes"
	}
	return nil
}

// wordIn reports whether word occurs in s between non-letters.
func wordIn(s, word string) bool {
	if word == "" {
		return false
	}
	re, err := regexp.Compile(`(^|[^\pL\pN_])` + regexp.QuoteMeta(word) + `($|[^\pL\pN_])`)
	return err == nil && re.MatchString(s)
}

// field finds "name: value" (or "name = value") on a line of input.
func field(input, name string) (string, bool) {
	if name == "" {
		return "", false
	}
	re, err := regexp.Compile(`(?im)^\s*` + regexp.QuoteMeta(name) + `\s*[:=]\s*(.+?)\s*$`)
	if err != nil {
		return "", false
	}
	m := re.FindStringSubmatch(input)
	if m == nil {
		return "", false
	}
	return m[1], true
}
