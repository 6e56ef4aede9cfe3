package engine

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
)

// encodeSamples are values a context holds, with the corners of
// encoding/json's output: escapes, HTML characters, U+2028, invalid UTF-8,
// float exponents, nesting, empty and nil containers, other types.
func encodeSamples() []any {
	return []any{
		nil, true, false, "", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>",
		"ctl \x00\x01\b\f\n\r\t\x1f\x7f", "line\u2028para\u2029", "bad \xff\xfe utf8 \xe2\x82", "é ünïcödé 日本 🎉",
		0.0, math.Copysign(0, -1), 1.0, -1.5, 1e-6, 9.99e-7, 1e20, 1e21, 123456789.125, 1e-9, -2.5e-10, 3e100, math.MaxFloat64,
		math.SmallestNonzeroFloat64, 42, int64(-7), json.Number("12.50"), json.RawMessage(`{"b":1, "a":2}`),
		time.Date(2026, 12, 3, 23, 0, 0, 5, time.UTC), uuid.MustParse("0f3b5e0e-4a52-4a6b-9d1e-2b1f0f8a1c11"),
		map[string]any{}, map[string]any(nil), []any{}, []any(nil), []string{"x"}, map[string]string{"k": "v"},
		map[string]any{"z": 1.0, "a": []any{"x", map[string]any{"<k>": nil, "b": true, "a\u2028": "v"}}, "M": "m", "": ""},
	}
}

func randomJSONString(r *rand.Rand) string {
	runes := []rune{'a', 'Z', '"', '\\', '<', '>', '&', '\n', 0, 0x1f, 'é', 0x2028, 0x2029, '🎉', 0xfffd}
	var bs []byte
	for range r.IntN(12) {
		if r.IntN(10) == 0 {
			bs = append(bs, 0xff) // invalid UTF-8
			continue
		}
		bs = append(bs, string(runes[r.IntN(len(runes))])...)
	}
	return string(bs)
}

func randomJSONValue(r *rand.Rand, depth int) any {
	n := r.IntN(8)
	if depth > 4 {
		n %= 4
	}
	switch n {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return math.Float64frombits(r.Uint64()&^(0x7ff<<52) | uint64(r.IntN(0x7fe))<<52) // finite
	case 3:
		return randomJSONString(r)
	case 4, 5:
		m := map[string]any{}
		for range r.IntN(20) {
			m[randomJSONString(r)+string(rune('a'+r.IntN(26)))] = randomJSONValue(r, depth+1)
		}
		return m
	default:
		s := make([]any, r.IntN(5))
		for i := range s {
			s[i] = randomJSONValue(r, depth+1)
		}
		return s
	}
}

// TestAppendJSONMatchesMarshal: the context's encoder writes exactly what
// json.Marshal writes, byte for byte, for hand-picked corners and random
// trees of decoded-JSON values.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	check := func(v any) {
		t.Helper()
		want, wantErr := json.Marshal(v)
		got, err := appendJSON(nil, v, 0)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%#v: error %v, json.Marshal's %v", v, err, wantErr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%#v:\n got %s\nwant %s", v, got, want)
		}
	}
	for _, v := range encodeSamples() {
		check(v)
		check(map[string]any{"v": v, "list": []any{v, v}})
	}
	r := rand.New(rand.NewPCG(14, 14))
	for range 3000 {
		check(randomJSONValue(r, 0))
	}
	if _, err := appendJSON(nil, math.NaN(), 0); err == nil {
		t.Fatal("NaN encoded; json.Marshal refuses it")
	}
	cyc := map[string]any{}
	cyc["self"] = cyc
	if _, err := appendJSON(nil, cyc, 0); err == nil {
		t.Fatal("a cyclic map encoded")
	}
}

// TestContextEncodeMatchesMarshal: encode writes what json.Marshal(c)
// wrote before it, empty parts and a zero $engine left out.
func TestContextEncodeMatchesMarshal(t *testing.T) {
	cases := []*execContext{
		{Trigger: map[string]any{"type": "trigger.manual"}},
		{Trigger: nil, Contact: map[string]any{}, Steps: map[string]any{}, Vars: map[string]any{}},
		{
			Trigger: map[string]any{"type": "trigger.schedule", "scheduledAt": time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)},
			Contact: map[string]any{"id": "c1", "attributes": map[string]any{"plan": "pro", "n": 3.0}},
			Steps:   map[string]any{"a": map[string]any{"output": []any{1.0, "<b>"}}},
			Vars:    map[string]any{"x": nil},
			Engine: engineState{Open: &openStep{ID: uuid.New(), Seq: 2, NodeID: "w", Started: time.Unix(5, 0).UTC()}, StepBase: 3,
				Announce: []announcement{{Kind: "step", Status: "COMPLETED"}}},
		},
		{Trigger: map[string]any{}, Engine: engineState{Announce: []announcement{}}}, // non-nil empty: not omitted
	}
	for i, c := range cases {
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("case %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

// TestContextEncodeEventAsGiven: trigger.event set by setEvent is written
// as the start had it (properties in their order, compact), the context
// decodes to the same values; once trigger.event is replaced the new value
// is written; an event that is not valid UTF-8 is encoded from its value.
func TestContextEncodeEventAsGiven(t *testing.T) {
	raw := json.RawMessage(`{"id":"e1", "name":"order", "properties":{"z":1,"a":"<x>"}}`)
	v, err := toJSONValue(raw)
	if err != nil {
		t.Fatal(err)
	}
	c := &execContext{Trigger: map[string]any{"type": "trigger.event"}, Steps: map[string]any{"t": map[string]any{"output": 1.0}}}
	c.setEvent(raw, v)
	got, err := c.encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"trigger":{"event":{"id":"e1","name":"order","properties":{"z":1,"a":"<x>"}},"type":"trigger.event"},"steps":{"t":{"output":1}}}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	back, err := decodeContext(got)
	if err != nil {
		t.Fatal(err)
	}
	marshalled, _ := json.Marshal(c.Trigger)
	fromMap, _ := toJSONValue(marshalled)
	again, _ := json.Marshal(back.Trigger)
	if want, _ := json.Marshal(fromMap); !bytes.Equal(again, want) {
		t.Fatalf("decoded trigger %s, want %s", again, want)
	}
	tj, err := c.triggerJSON()
	if err != nil || !bytes.Contains(got, tj) {
		t.Fatalf("triggerJSON %s (%v) is not the context's", tj, err)
	}

	c.Trigger["event"] = map[string]any{"name": "other"}
	got, _ = c.encode()
	if want, _ := json.Marshal(c); !bytes.Equal(got, want) {
		t.Fatalf("replaced event: got %s\nwant %s", got, want)
	}

	bad := json.RawMessage("{\"name\":\"\xff\"}")
	v, _ = toJSONValue(bad)
	c = &execContext{Trigger: map[string]any{}}
	c.setEvent(bad, v)
	got, _ = c.encode()
	if want, _ := json.Marshal(c); !bytes.Equal(got, want) {
		t.Fatalf("invalid UTF-8: got %q\nwant %q", got, want)
	}
}
