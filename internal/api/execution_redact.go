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
// view blanks when the workspace asks for personal data to be redacted
// (Settings → AI, redactPii): in the context's contact and wherever their
// values appear (a trigger payload or a rendered message repeating them).
// They are read from the context's contact only, so a field of the same
// name elsewhere (an event's or a product's "name") stays as it is. The
// contact stays reachable by its ID.
var contactIdentityFields = []string{"email", "phone", "messengerPsid", "name", "externalId"}

// executionRedactor builds what the execution view blanks, the way an AI
// step's recorded prompt is blanked (ai.Redactor), so the context does not
// show what the step detail hides: the workspace's redaction fields and
// their values wherever they occur and, when the workspace asks for it
// (redactPii), every email address and phone number and the values of the
// contact's identity fields. A workspace without redaction settings sees
// the context as it is: whoever may read executions may read contacts.
func executionRedactor(ctx context.Context, tx store.Tx, tenantID uuid.UUID, view map[string]any) (*ai.Redactor, error) {
	st, err := tx.AISettingsGet(ctx, tenantID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the workspace's redaction settings: %w", err)
	}
	values := ai.NewRedactor(st.RedactFields, view, st.RedactPII).Values()
	if contact, ok := view["contact"].(map[string]any); ok && st.RedactPII {
		values = append(values, ai.NewRedactor(contactIdentityFields, identityOf(contact), false).Values()...)
	}
	return ai.RedactorOf(st.RedactFields, values, st.RedactPII), nil
}

// identityOf is the contact's identity fields alone, for collecting their
// values without descending into its attributes.
func identityOf(contact map[string]any) map[string]any {
	out := make(map[string]any, len(contactIdentityFields))
	for _, f := range contactIdentityFields {
		if v, ok := contact[f]; ok {
			out[f] = v
		}
	}
	return out
}

// redactExecution blanks d's context and its steps' input, output and
// error with red; a nil red leaves d as it is.
func redactExecution(d *ExecutionDTO, red *ai.Redactor) {
	if red == nil {
		return
	}
	if d.Context != nil {
		if m, ok := red.RedactValue(d.Context).(map[string]any); ok {
			d.Context = m
		}
		// The identity fields themselves, also those too short to be
		// blanked where they recur.
		if contact, ok := d.Context["contact"].(map[string]any); ok && red.PII() {
			for _, f := range contactIdentityFields {
				if v, ok := contact[f]; ok && v != nil && v != "" {
					contact[f] = ai.Redacted
				}
			}
		}
	}
	for i := range d.Steps {
		s := &d.Steps[i]
		s.Input = red.RedactValue(s.Input)
		s.Output = red.RedactValue(s.Output)
		s.Error = red.Redact(s.Error)
	}
}
