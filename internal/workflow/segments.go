package workflow

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/google/uuid"
)

// CodeUnknownSegment is the problem code of a trigger.segment naming a
// segment the workspace does not have.
const CodeUnknownSegment = "unknown_segment"

// SegmentRefs returns the segments the definition's trigger.segment nodes
// name, each with the IDs of the nodes naming it. A segmentId that is not
// a UUID is left to the config schema.
func SegmentRefs(def *Definition) map[uuid.UUID][]string {
	out := map[uuid.UUID][]string{}
	for _, n := range def.Nodes {
		if n.Type != TypeTriggerSegment {
			continue
		}
		var cfg TriggerSegmentConfig
		if err := json.Unmarshal(n.Config, &cfg); err != nil {
			continue
		}
		id, err := uuid.Parse(cfg.SegmentID)
		if err != nil {
			continue
		}
		out[id] = append(out[id], n.ID)
	}
	return out
}

// UnknownSegments returns a problem on every trigger.segment node whose
// segment exists reports false for.
func UnknownSegments(def *Definition, exists func(id uuid.UUID) bool) []Problem {
	refs := SegmentRefs(def)
	ids := make([]uuid.UUID, 0, len(refs))
	for id := range refs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	var out []Problem
	for _, id := range ids {
		if exists(id) {
			continue
		}
		for _, node := range refs[id] {
			out = append(out, Problem{Code: CodeUnknownSegment, NodeID: node, Path: "/segmentId",
				Message: fmt.Sprintf("segment %s does not exist in this workspace: pick one under Audiences → Segments", id)})
		}
	}
	return out
}
