package workflow_test

import (
	"fmt"

	"github.com/nextflow-dev/nextflow/internal/workflow"
)

func ExampleRegistry_DecodeAndValidate() {
	r := workflow.Default()
	_, problems, err := r.DecodeAndValidate([]byte(`{
		"nodes": [
			{"id": "start", "type": "trigger.manual"},
			{"id": "vip", "type": "condition", "config": {"expression": "trigger.input.amount >"}},
			{"id": "wait", "type": "delay", "config": {"duration": "2 days"}}
		],
		"edges": [
			{"id": "e1", "source": "start", "target": "vip"},
			{"id": "e2", "source": "vip", "target": "wait"}
		]}`), workflow.DefaultLimits())
	if err != nil {
		panic(err)
	}
	for _, p := range problems {
		fmt.Println(p.Code, p.NodeID, p.EdgeID, p.Path)
	}
	// Output:
	// invalid_expression vip  /expression
	// invalid_duration wait  /duration
	// unknown_source_handle  e2
}

func ExampleNodeType_Handles() {
	nt, _ := workflow.Default().Get("ai.classify")
	for _, h := range nt.Handles([]byte(`{"input": "x", "labels": ["question", "complaint"]}`)) {
		fmt.Println(h.ID)
	}
	// Output:
	// question
	// complaint
	// other
	// error
}
