package workflow

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// CodeUnknownTemplate is the problem code of a send step whose templateId
// names no saved template of the workspace, or one of another channel.
const CodeUnknownTemplate = "unknown_template"

// templateChannels is the channel of the saved templates each send node
// type takes through its templateId.
var templateChannels = map[string]string{
	TypeEmailSend:     "email",
	TypeWhatsAppSend:  "whatsapp",
	TypeMessengerSend: "messenger",
}

// TemplateRef is a send node naming a saved template: the node and the
// channel the template must be of.
type TemplateRef struct {
	NodeID  string
	Channel string
}

// TemplateRefs returns the saved templates the definition's send nodes
// name through templateId, each with the nodes naming it, and a problem on
// every node whose templateId is not a template ID at all.
func TemplateRefs(def *Definition) (map[uuid.UUID][]TemplateRef, []Problem) {
	out := map[uuid.UUID][]TemplateRef{}
	var problems []Problem
	for _, n := range def.Nodes {
		channel, ok := templateChannels[n.Type]
		if !ok {
			continue
		}
		var cfg struct {
			TemplateID string `json:"templateId"`
		}
		if err := json.Unmarshal(n.Config, &cfg); err != nil || strings.TrimSpace(cfg.TemplateID) == "" {
			continue // a config that does not decode is the schema's problem
		}
		id, err := uuid.Parse(strings.TrimSpace(cfg.TemplateID))
		if err != nil {
			problems = append(problems, Problem{Code: CodeUnknownTemplate, NodeID: n.ID, Path: "/templateId",
				Message: fmt.Sprintf("templateId %q is not a template ID: pick a template under Channels → Templates", cfg.TemplateID)})
			continue
		}
		out[id] = append(out[id], TemplateRef{NodeID: n.ID, Channel: channel})
	}
	return out, problems
}

// UnknownTemplates returns a problem on every send node whose templateId
// names a template channelOf does not find (ok false: deleted, or another
// workspace's) or finds of another channel than the node sends on.
func UnknownTemplates(def *Definition, channelOf func(id uuid.UUID) (channel string, ok bool)) []Problem {
	refs, out := TemplateRefs(def)
	ids := make([]uuid.UUID, 0, len(refs))
	for id := range refs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	for _, id := range ids {
		channel, ok := channelOf(id)
		for _, ref := range refs[id] {
			switch {
			case !ok:
				out = append(out, Problem{Code: CodeUnknownTemplate, NodeID: ref.NodeID, Path: "/templateId",
					Message: fmt.Sprintf("template %s does not exist in this workspace (deleted?): pick one under Channels → Templates", id)})
			case channel != ref.Channel:
				out = append(out, Problem{Code: CodeUnknownTemplate, NodeID: ref.NodeID, Path: "/templateId",
					Message: fmt.Sprintf("template %s is for %s, not %s: pick a %s template", id, channel, ref.Channel, ref.Channel)})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].NodeID < out[j].NodeID })
	return out
}
