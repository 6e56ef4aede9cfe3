package engine

import (
	"encoding/json"

	"github.com/nextflow-dev/nextflow/internal/workflow"
)

func nodeOf(typ, config string) *workflow.Node {
	return &workflow.Node{ID: typ, Type: typ, Config: json.RawMessage(config)}
}
