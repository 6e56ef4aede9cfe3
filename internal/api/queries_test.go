package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// errorRecorder stands in for the *testing.T failOnRepeat fails.
type errorRecorder struct {
	mu   sync.Mutex
	errs []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *errorRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	errs := r.errs
	r.errs = nil
	return errs
}

// WorkflowNamesOutput is what the N+1 test routes answer.
type WorkflowNamesOutput struct {
	Body struct {
		Names []string `json:"names"`
	}
}

// registerNPlusOne adds two test routes that list a tenant's workflow
// names: one with a single query, one the N+1 way (the list, then each row
// again by ID).
func registerNPlusOne(st store.Store) func(huma.API) {
	type in struct {
		Tenant string `query:"tenant"`
	}
	list := func(perRow bool) func(ctx context.Context, in *in) (*WorkflowNamesOutput, error) {
		return func(ctx context.Context, in *in) (*WorkflowNamesOutput, error) {
			tenantID, err := uuid.Parse(in.Tenant)
			if err != nil {
				return nil, huma.Error400BadRequest("tenant")
			}
			out := &WorkflowNamesOutput{}
			err = st.Read(ctx, tenantID, func(tx store.Tx) error {
				wfs, err := tx.WorkflowList(ctx, &store.WorkflowListParams{TenantID: tenantID, Limit: 100})
				if err != nil {
					return err
				}
				for _, wf := range wfs {
					if perRow {
						got, err := tx.WorkflowGetByID(ctx, tenantID, wf.ID)
						if err != nil {
							return err
						}
						wf = *got
					}
					out.Body.Names = append(out.Body.Names, wf.Name)
				}
				return nil
			})
			return out, err
		}
	}
	return func(api huma.API) {
		public := map[string]any{MetaPublic: true, MetaNoTenant: true}
		huma.Register(api, huma.Operation{OperationID: "test-names-one-query", Method: http.MethodGet,
			Path: Prefix + "/test/workflow-names", Metadata: public}, list(false))
		huma.Register(api, huma.Operation{OperationID: "test-names-n-plus-one", Method: http.MethodGet,
			Path: Prefix + "/test/workflow-names-n-plus-one", Metadata: public}, list(true))
	}
}

// The API suite's query check (failOnRepeat, on in every test API) fails a
// test whose list endpoint runs one query per row, naming the route and
// the query; listing the same rows with one query, or through the real
// workflows endpoint, passes.
func TestNPlusOneFailsTheCheck(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		rec := &errorRecorder{}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		a := newTestAPIDeps(t, st, Deps{Queries: failOnRepeat(rec, log), Hooks: []func(huma.API){registerNPlusOne(st)}})
		acc := a.signup("owner@example.com", "Acme")
		const rows = store.DefaultQueryRepeatLimit + 2
		for i := range rows {
			a.createWorkflow(acc, fmt.Sprintf("Journey %d", i), validDraft)
		}
		require.Empty(t, rec.take(), "setting up")
		tenant := acc.Me.ActiveTenant.ID.String()

		r := a.do(http.MethodGet, Prefix+"/test/workflow-names?tenant="+tenant, nil, creds{})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		require.Equal(t, rows, strings.Count(string(r.Body), "Journey"))
		require.Empty(t, rec.take(), "one query for the list")

		r = a.do(http.MethodGet, Prefix+"/workflows?limit=100", nil, creds{Cookie: acc.Cookie})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		require.Equal(t, rows, strings.Count(string(r.Body), `"name":"Journey`))
		require.Empty(t, rec.take(), "the workflows list")

		r = a.do(http.MethodGet, Prefix+"/test/workflow-names-n-plus-one?tenant="+tenant, nil, creds{})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		require.Equal(t, []string{fmt.Sprintf("N+1 suspicion: GET /api/v1/test/workflow-names-n-plus-one ran query WorkflowGetByID %d times (limit %d)",
			rows, store.DefaultQueryRepeatLimit)}, rec.take())
	})
}
