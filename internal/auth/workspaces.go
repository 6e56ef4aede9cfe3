package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// MaxOwnedWorkspaces bounds how many workspaces one user may own, so a
// single account cannot create tenants without end.
const MaxOwnedWorkspaces = 20

// ErrWorkspaceLimit: the user already owns MaxOwnedWorkspaces workspaces.
var ErrWorkspaceLimit = fmt.Errorf("you already own %d workspaces, the most one account may own", MaxOwnedWorkspaces)

// CreateWorkspace creates a workspace on plan FREE, with a unique slug,
// owned by the signed-in user p, and records it in the new workspace's
// audit log. The caller's session keeps its active workspace; switch to
// the new one with SwitchTenant.
func (s *Service) CreateWorkspace(ctx context.Context, p *Principal, name string, meta RequestMeta) (*domain.Tenant, error) {
	if p == nil || p.Kind != KindUser || p.User == nil {
		return nil, ErrUnauthenticated
	}
	name, err := validateName("name", name)
	if err != nil {
		return nil, err
	}
	var t *domain.Tenant
	for attempt := 0; ; attempt++ {
		t, err = s.createWorkspaceTx(ctx, p, name, attempt, meta)
		if errors.Is(err, errSlugTaken) && attempt < 5 {
			continue // a concurrent insert took the slug between check and insert
		}
		break
	}
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "workspace created", "user_id", p.User.ID, "tenant_id", t.ID)
	return t, nil
}

func (s *Service) createWorkspaceTx(ctx context.Context, p *Principal, name string, attempt int, meta RequestMeta) (*domain.Tenant, error) {
	tenantID := domain.NewID()
	var t *domain.Tenant
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		ms, err := tx.MembershipListByUser(ctx, p.User.ID)
		if err != nil {
			return fmt.Errorf("list memberships: %w", err)
		}
		owned := 0
		for _, m := range ms {
			if m.Role == domain.RoleOwner {
				owned++
			}
		}
		if owned >= MaxOwnedWorkspaces {
			return ErrWorkspaceLimit
		}
		slug, err := uniqueSlug(ctx, tx, Slugify(name), attempt > 0)
		if err != nil {
			return err
		}
		if t, err = tx.TenantInsert(ctx, &store.TenantInsertParams{ID: tenantID, Name: name, Slug: slug, Plan: domain.PlanFree}); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errSlugTaken
			}
			return fmt.Errorf("insert tenant: %w", err)
		}
		if _, err := tx.MembershipInsert(ctx, &store.MembershipInsertParams{TenantID: t.ID, UserID: p.User.ID, Role: domain.RoleOwner}); err != nil {
			return fmt.Errorf("insert membership: %w", err)
		}
		actor := &Principal{Kind: KindUser, User: p.User, TenantID: t.ID}
		return s.audit(ctx, tx, t.ID, actor, "tenant.created", "user", p.User.ID.String(),
			map[string]any{"slug": slug, "plan": domain.PlanFree, "via": "dashboard"}, meta.IP)
	})
	if err != nil {
		return nil, fmt.Errorf("create workspace %q: %w", name, err)
	}
	return t, nil
}
