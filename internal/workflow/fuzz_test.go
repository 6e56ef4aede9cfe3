package workflow

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

var knownCodes = map[string]bool{
	CodeNoTrigger: true, CodeUnknownType: true, CodeInvalidConfig: true, CodeDuplicateNodeID: true,
	CodeDuplicateEdgeID: true, CodeEmptyID: true, CodeEdgeMissingSource: true, CodeEdgeMissingTarget: true,
	CodeUnknownSourceHandle: true, CodeEdgeIntoTrigger: true, CodeDuplicateEdge: true, CodeUnreachableNode: true,
	CodeCycleWithoutWait: true, CodeInvalidExpression: true, CodeInvalidCron: true, CodeInvalidTimezone: true,
	CodeInvalidDuration: true, CodeInvalidTemplate: true,
}

// FuzzDecodeAndValidate feeds arbitrary bytes to DecodeAndValidate: it must
// never panic, fail only with ErrTooLarge or ErrMalformed, and return
// problems with known codes that point at nodes and edges that exist, the
// same on a second run.
func FuzzDecodeAndValidate(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureCopyDir, "*.json"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data) // the wrapper itself: not a definition's shape, still must not panic
	}
	for _, fx := range loadFixtures(f) {
		f.Add([]byte(fx.definition))
	}
	f.Add([]byte(`{"nodes":[{"id":"s","type":"trigger.manual"},{"id":"c","type":"condition","config":{"expression":"trigger.input.x > 1"}}],"edges":[{"id":"e","source":"s","target":"c"},{"id":"f","source":"c","sourceHandle":"true","target":"c"}]}`))
	f.Add([]byte(`{"nodes":[{"id":"t","type":"trigger.schedule","config":{"cron":"30 2 * * *","timezone":"Europe/Berlin"}},{"id":"m","type":"email.send","config":{"subject":"{{ a","html":"{% for i in (1..3) %}{{ i }}{% endfor %}"}}],"edges":[{"id":"1","source":"t","target":"m"}]}`))
	f.Add([]byte(`{"nodes":[{"id":"x","type":"ai.extract","config":{"input":"i","schema":{"$ref":"#/$defs/a","$defs":{"a":{"$ref":"#/$defs/a"}}}}}],"edges":null}`))
	f.Add([]byte(`null`))

	r := Default()
	limits := Limits{MaxNodes: 200, MaxEdges: 400, MaxBytes: 64 << 10}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, problems, err := r.DecodeAndValidate(data, limits)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if d != nil || problems != nil {
				t.Fatalf("error with a result: %v", err)
			}
			return
		}
		if d == nil {
			t.Fatal("nil definition without error")
		}
		nodes := map[string]bool{}
		for _, n := range d.Nodes {
			nodes[n.ID] = true
		}
		edges := map[string]bool{}
		for _, e := range d.Edges {
			edges[e.ID] = true
		}
		for _, p := range problems {
			if !knownCodes[p.Code] {
				t.Fatalf("unknown code %q", p.Code)
			}
			if p.Message == "" {
				t.Fatalf("problem %q without message", p.Code)
			}
			if p.NodeID != "" && !nodes[p.NodeID] {
				t.Fatalf("problem %v names a node that does not exist", p)
			}
			if p.EdgeID != "" && !edges[p.EdgeID] {
				t.Fatalf("problem %v names an edge that does not exist", p)
			}
		}
		again := r.Validate(d)
		if len(again) != len(problems) {
			t.Fatalf("validation not deterministic: %d then %d problems", len(problems), len(again))
		}
		for i := range again {
			if again[i] != problems[i] {
				t.Fatalf("validation not deterministic: %v then %v", problems[i], again[i])
			}
		}
	})
}
