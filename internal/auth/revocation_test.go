package auth_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// TestRecheck: a principal resolved earlier (an open stream's) is
// refused once its session is revoked, its member removed or its key
// revoked, and a key's power follows its creator's current role.
func TestRecheck(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		svc, err := auth.New(auth.Options{Store: st,
			PasswordParams: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
		require.NoError(t, err)
		signup := func(email string) *auth.Principal {
			res, err := svc.Signup(ctx, auth.SignupInput{Email: email, Password: password, Name: email, WorkspaceName: email}, meta)
			require.NoError(t, err)
			p, err := svc.ResolveSession(ctx, res.Token)
			require.NoError(t, err)
			return p
		}
		ada := signup("ada@example.com")
		bob := signup("bob@example.com")
		require.NoError(t, st.InTx(ctx, ada.TenantID, func(tx store.Tx) error {
			_, err := tx.MembershipInsert(ctx, &store.MembershipInsertParams{TenantID: ada.TenantID, UserID: bob.User.ID, Role: domain.RoleAdmin})
			return err
		}))
		bob, err = svc.SwitchTenant(ctx, bob, ada.TenantID)
		require.NoError(t, err)
		key := func(scope string) *auth.Principal {
			k, err := svc.CreateAPIKey(ctx, bob, "k", []string{scope}, meta)
			require.NoError(t, err)
			p, err := svc.ResolveAPIKey(ctx, k.Secret)
			require.NoError(t, err)
			return p
		}
		full, events := key(domain.ScopeFull), key(domain.ScopeEventsWrite)
		require.NoError(t, svc.Recheck(ctx, bob, auth.PermExecutionsRead))
		require.NoError(t, svc.Recheck(ctx, full, auth.PermWorkflowsWrite))
		var pe *auth.PermissionError
		require.ErrorAs(t, svc.Recheck(ctx, events, auth.PermExecutionsRead), &pe, "an ingestion key reads no executions")

		// Lowered to VIEWER: bob's full key reads, no longer writes.
		_, err = svc.ChangeMemberRole(ctx, ada, bob.User.ID, domain.RoleViewer, meta)
		require.NoError(t, err)
		require.NoError(t, svc.Recheck(ctx, full, auth.PermExecutionsRead))
		require.ErrorAs(t, svc.Recheck(ctx, full, auth.PermWorkflowsWrite), &pe)
		require.Contains(t, pe.Error(), "VIEWER")
		require.ErrorAs(t, svc.Recheck(ctx, bob, auth.PermWorkflowsWrite), &pe)

		// Removed: his session in the workspace and his keys are refused.
		require.NoError(t, svc.RemoveMember(ctx, ada, bob.User.ID, meta))
		for _, p := range []*auth.Principal{bob, full, events} {
			require.ErrorIs(t, svc.Recheck(ctx, p, auth.PermExecutionsRead), auth.ErrUnauthenticated)
		}

		// Logout everywhere: ada's session is refused.
		require.NoError(t, svc.Recheck(ctx, ada, auth.PermExecutionsRead))
		_, err = svc.LogoutEverywhere(ctx, ada, meta)
		require.NoError(t, err)
		require.ErrorIs(t, svc.Recheck(ctx, ada, auth.PermExecutionsRead), auth.ErrUnauthenticated)
		require.ErrorIs(t, svc.Recheck(ctx, nil, auth.PermExecutionsRead), auth.ErrUnauthenticated)
	})
}
