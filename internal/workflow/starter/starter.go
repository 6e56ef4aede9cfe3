// Package starter holds the starter journeys a new workflow can begin
// from (welcome series, abandoned cart, weekly digest, reply triage): real
// definitions embedded as JSON, each publishable as it is once its
// channels are connected.
package starter

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/nextflow-dev/nextflow/internal/workflow"
)

//go:embed starters/*.json
var files embed.FS

// order is the gallery's order; a file not named here is not offered.
var order = []string{"welcome-series", "abandoned-cart", "weekly-digest", "reply-triage"}

// Starter is one starter journey.
type Starter struct {
	// ID is the file's name without .json, e.g. welcome-series.
	ID          string
	Name        string
	Description string
	// Channels are the channel kinds its send steps use (email, whatsapp).
	Channels   []string
	Definition *workflow.Definition
}

type file struct {
	Name        string               `json:"name"`
	Description string               `json:"description"`
	Channels    []string             `json:"channels"`
	Definition  *workflow.Definition `json:"definition"`
}

var all = mustLoad()

func mustLoad() []Starter {
	out, err := load()
	if err != nil {
		panic(err) // the files are embedded: a bad one fails every test
	}
	return out
}

func load() ([]Starter, error) {
	out := make([]Starter, 0, len(order))
	for _, id := range order {
		raw, err := files.ReadFile(path.Join("starters", id+".json"))
		if err != nil {
			return nil, fmt.Errorf("read starter %s: %w", id, err)
		}
		var f file
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("decode starter %s: %w", id, err)
		}
		if f.Definition == nil {
			return nil, fmt.Errorf("starter %s has no definition", id)
		}
		out = append(out, Starter{ID: id, Name: f.Name, Description: f.Description, Channels: f.Channels, Definition: f.Definition})
	}
	return out, nil
}

// List returns the starters in gallery order. The caller must not modify
// them.
func List() []Starter { return all }

// Get returns the starter with this ID.
func Get(id string) (Starter, bool) {
	for _, s := range all {
		if s.ID == id {
			return s, true
		}
	}
	return Starter{}, false
}
