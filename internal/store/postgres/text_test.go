package postgres_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestInvalidTextIsTranslated: text PostgreSQL cannot store (U+0000 in
// text, \u0000 in jsonb, invalid UTF-8) is store.ErrInvalidText, which
// the API answers 422, not an internal error. The API refuses such input
// before it gets here; this is the second line.
func TestInvalidTextIsTranslated(t *testing.T) {
	t.Parallel()
	st := storetest.Postgres(t)
	ctx := context.Background()
	tenantID := domain.NewID()
	require.NoError(t, st.InTx(ctx, tenantID, func(tx store.Tx) error {
		_, err := tx.TenantInsert(ctx, &store.TenantInsertParams{ID: tenantID, Name: "T", Slug: "t-" + tenantID.String()[:8], Plan: domain.PlanFree})
		return err
	}))
	for name, p := range map[string]store.WorkflowInsertParams{
		"nul in name":       {Name: "a\x00b", Definition: json.RawMessage(`{}`)},
		"invalid utf-8":     {Name: "a\xffb", Definition: json.RawMessage(`{}`)},
		"nul escape in def": {Name: "ok", Definition: json.RawMessage(`{"a":"\u0000"}`)},
	} {
		p.TenantID, p.ID = tenantID, domain.NewID()
		err := st.InTx(ctx, tenantID, func(tx store.Tx) error {
			_, err := tx.WorkflowInsert(ctx, &p)
			return err
		})
		require.ErrorIs(t, err, store.ErrInvalidText, name)
	}
}
