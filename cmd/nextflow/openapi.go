package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/nextflow-dev/nextflow/internal/app"
)

// cmdOpenAPI prints the OpenAPI document without a database.
func cmdOpenAPI(stdout io.Writer) error {
	doc := app.OpenAPI(version)
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode openapi: %w", err)
	}
	_, err = fmt.Fprintln(stdout, string(b))
	return err
}
