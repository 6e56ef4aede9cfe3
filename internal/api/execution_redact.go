package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/ai"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// contactIdentityFields are the contact's personal fields the execution
// view always blanks, in the context's contact and wherever their values
// appear (a trigger payload or a rendered message repeating them). The
// contact stays reachable by its ID.
var contactIdentityFields = []string{"email", "phone", "messengerPsid", "name", "externalId"}

// executionRedactor builds what the execution view blanks, the way an AI
// step's recorded prompt is blanked (ai.Redactor): the contact's identity
// fields and the workspace's redaction fields (Settings → AI), their
// values wherever they occur in the context, and, when the workspace asks
// for it (redactPii), every email address and phone number.
func executionRedactor(ctx context.Context, tx store.Tx, tenantID uuid.UUID, view map[string]any) (*ai.Redactor, error) {
	fields := append([]string(nil), contactIdentityFields...)
	pii := false
	st, err := tx.AISettingsGet(ctx, tenantID)
	switch {
	case err == nil:
		fields = append(fields, st.RedactFields...)
		pii = st.RedactPII
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("read the workspace's redaction settings: %w", err)
	}
	return ai.NewRedactor(fields, view, pii), nil
}

// redactExecution blanks d's context and its steps' input, output and
// error with red.
func redactExecution(d *ExecutionDTO, red *ai.Redactor) {
	if d.Context != nil {
		if m, ok := red.RedactValue(d.Context).(map[string]any); ok {
			d.Context = m
		}
	}
	for i := range d.Steps {
		s := &d.Steps[i]
		s.Input = red.RedactValue(s.Input)
		s.Output = red.RedactValue(s.Output)
		s.Error = red.Redact(s.Error)
	}
}
