package storetest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// textCases: what a called service sends back is recorded whatever it
// holds. A response or error with U+0000 or bytes that are not UTF-8
// (which PostgreSQL cannot store) is recorded with U+FFFD in their place,
// the same on both backends, instead of failing the write and leaving a
// call that was made unrecorded (and so made again).
func textCases() []exerciseCase {
	return []exerciseCase{
		{"OutboxUpdate/StoresAnyText", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantA.ID)
			st := f.newStep(t, c.e, 1, "call", domain.StepRunning)
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				entry, created, err := tx.OutboxInsert(f.ctx, &store.OutboxInsertParams{
					TenantID: f.tenantA.ID, ExecutionID: c.e.ID, StepID: st.ID, IdempotencyKey: "exec-1/call/1",
					Kind: "http.request", Request: json.RawMessage(`{"body":"a\u0000b"}`),
				})
				require.NoError(t, err)
				require.True(t, created)
				requireJSON(t, `{"body":"a\ufffdb"}`, entry.Request)
				require.NoError(t, tx.OutboxUpdate(f.ctx, &store.OutboxUpdateParams{
					TenantID: f.tenantA.ID, ID: entry.ID, Status: domain.OutboxFailed, Attempts: 1,
					Response: json.RawMessage(`{"status":500,"body":"x\u0000y"}`), Error: "HTTP 500: x\x00y\xff",
				}))
				got, err := tx.OutboxGetByKey(f.ctx, f.tenantA.ID, "exec-1/call/1")
				require.NoError(t, err)
				requireJSON(t, `{"status":500,"body":"x\ufffdy"}`, got.Response)
				require.Equal(t, "HTTP 500: x\uFFFDy\uFFFD", got.Error)
			})
		}},
	}
}
