package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func accountCases() []exerciseCase {
	return []exerciseCase{
		{"Tenant/InsertGetUpdateDelete", func(t *testing.T, f *fixture) {
			id := domain.NewID()
			f.system(t, func(tx store.Tx) {
				ten, err := tx.TenantInsert(f.ctx, &store.TenantInsertParams{ID: id, Name: "Charlie", Slug: "charlie", Plan: domain.PlanBiz})
				require.NoError(t, err)
				require.Equal(t, id, ten.ID)
				require.Equal(t, "Charlie", ten.Name)
				require.Equal(t, "charlie", ten.Slug)
				require.Equal(t, domain.PlanBiz, ten.Plan)
				require.False(t, ten.CreatedAt.IsZero())
				require.Equal(t, time.UTC, ten.CreatedAt.Location())

				require.NotEqual(t, uuid.Nil, f.tenantA.ID, "a zero ID is generated")

				got, err := tx.TenantGetByID(f.ctx, id)
				require.NoError(t, err)
				require.Equal(t, ten, got)
				got, err = tx.TenantGetBySlug(f.ctx, "charlie")
				require.NoError(t, err)
				require.Equal(t, ten, got)

				upd, err := tx.TenantUpdate(f.ctx, &store.TenantUpdateParams{ID: id, Name: "Charlie Inc", Plan: domain.PlanPro})
				require.NoError(t, err)
				require.Equal(t, "Charlie Inc", upd.Name)
				require.Equal(t, domain.PlanPro, upd.Plan)
				require.Equal(t, "charlie", upd.Slug)
				require.False(t, upd.UpdatedAt.Before(ten.UpdatedAt))

				_, err = tx.TenantUpdate(f.ctx, &store.TenantUpdateParams{ID: domain.NewID(), Name: "x", Plan: domain.PlanPro})
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.TenantGetByID(f.ctx, domain.NewID())
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.TenantGetBySlug(f.ctx, "nobody")
				require.ErrorIs(t, err, store.ErrNotFound)
			})

			err := f.s.InTx(f.ctx, uuid.Nil, func(tx store.Tx) error {
				_, err := tx.TenantInsert(f.ctx, &store.TenantInsertParams{Name: "Other", Slug: "charlie", Plan: domain.PlanFree})
				return err
			})
			require.ErrorIs(t, err, store.ErrConflict)

			f.system(t, func(tx store.Tx) {
				require.NoError(t, tx.TenantDelete(f.ctx, id))
				_, err := tx.TenantGetByID(f.ctx, id)
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.TenantDelete(f.ctx, id), store.ErrNotFound)
			})
		}},
		{"TenantDelete/CascadesButUsersStay", func(t *testing.T, f *fixture) {
			c := f.newChain(t, f.tenantB.ID)
			f.newStep(t, c.e, 1, "start", domain.StepCompleted)
			kept := f.newChain(t, f.tenantA.ID)
			f.newStep(t, kept.e, 1, "start", domain.StepCompleted)
			f.system(t, func(tx store.Tx) {
				_, err := tx.MembershipInsert(f.ctx, &store.MembershipInsertParams{TenantID: f.tenantB.ID, UserID: f.user.ID, Role: domain.RoleOwner})
				require.NoError(t, err)
			})
			f.system(t, func(tx store.Tx) {
				require.NoError(t, tx.TenantDelete(f.ctx, f.tenantB.ID))
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				_, err := tx.WorkflowGetByID(f.ctx, f.tenantB.ID, c.wf.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.ExecutionGetByID(f.ctx, f.tenantB.ID, c.e.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				steps, err := tx.StepListByExecution(f.ctx, f.tenantB.ID, c.e.ID)
				require.NoError(t, err)
				require.Empty(t, steps, "steps go with their execution")
			})
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				steps, err := tx.StepListByExecution(f.ctx, f.tenantA.ID, kept.e.ID)
				require.NoError(t, err)
				require.Len(t, steps, 1, "another tenant's steps stay")
			})
			f.system(t, func(tx store.Tx) {
				ms, err := tx.MembershipListByUser(f.ctx, f.user.ID)
				require.NoError(t, err)
				require.Empty(t, ms)
				_, err = tx.UserGetByID(f.ctx, f.user.ID)
				require.NoError(t, err, "users outlive their tenants")
			})
		}},
		{"User/InsertGetUpdatePassword", func(t *testing.T, f *fixture) {
			f.system(t, func(tx store.Tx) {
				require.Equal(t, "ada@example.com", f.user.Email)
				require.Equal(t, "Ada", f.user.Name)
				require.Equal(t, "hash", f.user.PasswordHash)

				got, err := tx.UserGetByID(f.ctx, f.user.ID)
				require.NoError(t, err)
				require.Equal(t, f.user, got)
				got, err = tx.UserGetByEmail(f.ctx, "ADA@Example.COM")
				require.NoError(t, err)
				require.Equal(t, f.user, got)

				_, err = tx.UserGetByEmail(f.ctx, "bob@example.com")
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.UserGetByID(f.ctx, domain.NewID())
				require.ErrorIs(t, err, store.ErrNotFound)

				require.NoError(t, tx.UserUpdatePassword(f.ctx, f.user.ID, "new-hash"))
				got, err = tx.UserGetByID(f.ctx, f.user.ID)
				require.NoError(t, err)
				require.Equal(t, "new-hash", got.PasswordHash)
				require.ErrorIs(t, tx.UserUpdatePassword(f.ctx, domain.NewID(), "x"), store.ErrNotFound)
			})
			err := f.s.InTx(f.ctx, uuid.Nil, func(tx store.Tx) error {
				_, err := tx.UserInsert(f.ctx, &store.UserInsertParams{Email: "Ada@EXAMPLE.com", Name: "Ada 2", PasswordHash: "h"})
				return err
			})
			require.ErrorIs(t, err, store.ErrConflict, "emails are unique in any letter case")
		}},
		{"Membership/InsertGetListUpdateRoleDelete", func(t *testing.T, f *fixture) {
			bob := f.newUser(t, "bob@example.com")
			f.system(t, func(tx store.Tx) {
				m, err := tx.MembershipInsert(f.ctx, &store.MembershipInsertParams{TenantID: f.tenantA.ID, UserID: f.user.ID, Role: domain.RoleOwner})
				require.NoError(t, err)
				require.Equal(t, f.tenantA.ID, m.TenantID)
				require.Equal(t, f.user.ID, m.UserID)
				require.Equal(t, domain.RoleOwner, m.Role)
				_, err = tx.MembershipInsert(f.ctx, &store.MembershipInsertParams{TenantID: f.tenantB.ID, UserID: f.user.ID, Role: domain.RoleViewer})
				require.NoError(t, err)
				_, err = tx.MembershipInsert(f.ctx, &store.MembershipInsertParams{TenantID: f.tenantA.ID, UserID: bob.ID, Role: domain.RoleAdmin})
				require.NoError(t, err)

				got, err := tx.MembershipGet(f.ctx, f.tenantA.ID, f.user.ID)
				require.NoError(t, err)
				require.Equal(t, m, got)
				_, err = tx.MembershipGet(f.ctx, f.tenantB.ID, bob.ID)
				require.ErrorIs(t, err, store.ErrNotFound)

				byUser, err := tx.MembershipListByUser(f.ctx, f.user.ID)
				require.NoError(t, err)
				require.Len(t, byUser, 2)
				require.Equal(t, "Acme", byUser[0].Tenant.Name, "ordered by tenant name")
				require.Equal(t, domain.RoleOwner, byUser[0].Role)
				require.Equal(t, *f.tenantA, byUser[0].Tenant)
				require.Equal(t, "Bravo", byUser[1].Tenant.Name)
				require.Equal(t, domain.RoleViewer, byUser[1].Role)
			})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				members, err := tx.MembershipListByTenant(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Len(t, members, 2)
				require.Equal(t, *f.user, members[0].User, "oldest membership first")
				require.Equal(t, bob.ID, members[1].User.ID)
				require.Equal(t, domain.RoleAdmin, members[1].Role)

				n, err := tx.MembershipCountByRole(f.ctx, f.tenantA.ID, domain.RoleOwner)
				require.NoError(t, err)
				require.Equal(t, 1, n)

				m, err := tx.MembershipUpdateRole(f.ctx, f.tenantA.ID, bob.ID, domain.RoleOwner)
				require.NoError(t, err)
				require.Equal(t, domain.RoleOwner, m.Role)
				n, err = tx.MembershipCountByRole(f.ctx, f.tenantA.ID, domain.RoleOwner)
				require.NoError(t, err)
				require.Equal(t, 2, n)

				// Tenant A's ID never reaches a membership that is not A's.
				_, err = tx.MembershipUpdateRole(f.ctx, f.tenantA.ID, domain.NewID(), domain.RoleViewer)
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.MembershipDelete(f.ctx, f.tenantA.ID, domain.NewID()), store.ErrNotFound)

				require.NoError(t, tx.MembershipDelete(f.ctx, f.tenantA.ID, bob.ID))
				_, err = tx.MembershipGet(f.ctx, f.tenantA.ID, bob.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.MembershipDelete(f.ctx, f.tenantA.ID, bob.ID), store.ErrNotFound)
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				members, err := tx.MembershipListByTenant(f.ctx, f.tenantB.ID)
				require.NoError(t, err)
				require.Len(t, members, 1)
				n, err := tx.MembershipCountByRole(f.ctx, f.tenantB.ID, domain.RoleOwner)
				require.NoError(t, err)
				require.Zero(t, n)
			})
			err := f.s.InTx(f.ctx, uuid.Nil, func(tx store.Tx) error {
				_, err := tx.MembershipInsert(f.ctx, &store.MembershipInsertParams{TenantID: f.tenantA.ID, UserID: f.user.ID, Role: domain.RoleViewer})
				return err
			})
			require.ErrorIs(t, err, store.ErrConflict)
		}},
		{"Session/InsertGetTouchRevoke", func(t *testing.T, f *fixture) {
			start := ts()
			var sess *domain.Session
			f.system(t, func(tx store.Tx) {
				var err error
				sess, err = tx.SessionInsert(f.ctx, &store.SessionInsertParams{
					UserID: f.user.ID, TokenHash: []byte("token-1"), ActiveTenantID: &f.tenantA.ID,
					UserAgent: "test", IP: "127.0.0.1", ExpiresAt: start.Add(time.Hour),
				})
				require.NoError(t, err)
				require.NotEqual(t, uuid.Nil, sess.ID)
				require.Equal(t, f.user.ID, sess.UserID)
				require.Equal(t, []byte("token-1"), sess.TokenHash)
				require.Equal(t, &f.tenantA.ID, sess.ActiveTenantID)
				require.Equal(t, "test", sess.UserAgent)
				require.Equal(t, "127.0.0.1", sess.IP)
				require.Equal(t, start.Add(time.Hour), sess.ExpiresAt)
				require.Nil(t, sess.RevokedAt)

				got, err := tx.SessionGetByTokenHash(f.ctx, []byte("token-1"), start)
				require.NoError(t, err)
				require.Equal(t, sess, got)
				_, err = tx.SessionGetByTokenHash(f.ctx, []byte("token-1"), start.Add(2*time.Hour))
				require.ErrorIs(t, err, store.ErrNotFound, "expired")
				_, err = tx.SessionGetByTokenHash(f.ctx, []byte("nope"), start)
				require.ErrorIs(t, err, store.ErrNotFound)

				seen := start.Add(time.Minute)
				require.NoError(t, tx.SessionTouch(f.ctx, sess.ID, seen))
				require.NoError(t, tx.SessionSetActiveTenant(f.ctx, sess.ID, &f.tenantB.ID))
				got, err = tx.SessionGetByTokenHash(f.ctx, []byte("token-1"), start)
				require.NoError(t, err)
				require.Equal(t, seen, got.LastSeenAt)
				require.Equal(t, &f.tenantB.ID, got.ActiveTenantID)
				require.NoError(t, tx.SessionSetActiveTenant(f.ctx, sess.ID, nil))
				got, err = tx.SessionGetByTokenHash(f.ctx, []byte("token-1"), start)
				require.NoError(t, err)
				require.Nil(t, got.ActiveTenantID)

				require.ErrorIs(t, tx.SessionTouch(f.ctx, domain.NewID(), seen), store.ErrNotFound)
				require.ErrorIs(t, tx.SessionSetActiveTenant(f.ctx, domain.NewID(), nil), store.ErrNotFound)
				require.ErrorIs(t, tx.SessionRevoke(f.ctx, domain.NewID(), seen), store.ErrNotFound)

				require.NoError(t, tx.SessionRevoke(f.ctx, sess.ID, seen))
				_, err = tx.SessionGetByTokenHash(f.ctx, []byte("token-1"), start)
				require.ErrorIs(t, err, store.ErrNotFound, "revoked")

				for i := range 2 {
					_, err := tx.SessionInsert(f.ctx, &store.SessionInsertParams{
						UserID: f.user.ID, TokenHash: fmt.Appendf(nil, "more-%d", i), ExpiresAt: start.Add(time.Hour),
					})
					require.NoError(t, err)
				}
				n, err := tx.SessionRevokeAllByUser(f.ctx, f.user.ID, seen)
				require.NoError(t, err)
				require.Equal(t, 2, n, "the revoked session is not counted again")
				_, err = tx.SessionGetByTokenHash(f.ctx, []byte("more-0"), start)
				require.ErrorIs(t, err, store.ErrNotFound)
			})
			err := f.s.InTx(f.ctx, uuid.Nil, func(tx store.Tx) error {
				_, err := tx.SessionInsert(f.ctx, &store.SessionInsertParams{UserID: f.user.ID, TokenHash: []byte("token-1"), ExpiresAt: start.Add(time.Hour)})
				return err
			})
			require.ErrorIs(t, err, store.ErrConflict)
		}},
		{"Invitation/InsertGetListAcceptDelete", func(t *testing.T, f *fixture) {
			exp := ts().Add(24 * time.Hour)
			var invA, invB *domain.Invitation
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				var err error
				invA, err = tx.InvitationInsert(f.ctx, &store.InvitationInsertParams{
					TenantID: f.tenantA.ID, Email: "bob@example.com", Role: domain.RoleOperator,
					TokenHash: []byte("inv-a"), InvitedBy: f.user.ID, ExpiresAt: exp,
				})
				require.NoError(t, err)
				require.Equal(t, f.tenantA.ID, invA.TenantID)
				require.Equal(t, "bob@example.com", invA.Email)
				require.Equal(t, domain.RoleOperator, invA.Role)
				require.Equal(t, f.user.ID, invA.InvitedBy)
				require.Equal(t, exp, invA.ExpiresAt)
				require.Nil(t, invA.AcceptedAt)
				inv2, err := tx.InvitationInsert(f.ctx, &store.InvitationInsertParams{
					TenantID: f.tenantA.ID, Email: "cy@example.com", Role: domain.RoleViewer,
					TokenHash: []byte("inv-a2"), InvitedBy: f.user.ID, ExpiresAt: exp,
				})
				require.NoError(t, err)

				list, err := tx.InvitationListByTenant(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Len(t, list, 2)
				require.Equal(t, inv2.ID, list[0].ID, "newest first")
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				var err error
				invB, err = tx.InvitationInsert(f.ctx, &store.InvitationInsertParams{
					TenantID: f.tenantB.ID, Email: "bob@example.com", Role: domain.RoleAdmin,
					TokenHash: []byte("inv-b"), InvitedBy: f.user.ID, ExpiresAt: exp,
				})
				require.NoError(t, err)
			})
			f.system(t, func(tx store.Tx) {
				got, err := tx.InvitationGetByTokenHash(f.ctx, []byte("inv-b"))
				require.NoError(t, err)
				require.Equal(t, invB, got)
				_, err = tx.InvitationGetByTokenHash(f.ctx, []byte("nope"))
				require.ErrorIs(t, err, store.ErrNotFound)
			})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.InvitationGetByID(f.ctx, f.tenantA.ID, invA.ID)
				require.NoError(t, err)
				require.Equal(t, invA, got)
				list, err := tx.InvitationListByTenant(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Len(t, list, 2, "another tenant's invitation is not listed")

				// Tenant A's ID never reaches tenant B's invitation.
				_, err = tx.InvitationGetByID(f.ctx, f.tenantA.ID, invB.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.InvitationMarkAccepted(f.ctx, f.tenantA.ID, invB.ID, ts()), store.ErrNotFound)
				require.ErrorIs(t, tx.InvitationDelete(f.ctx, f.tenantA.ID, invB.ID), store.ErrNotFound)

				at := ts()
				require.NoError(t, tx.InvitationMarkAccepted(f.ctx, f.tenantA.ID, invA.ID, at))
				got, err = tx.InvitationGetByID(f.ctx, f.tenantA.ID, invA.ID)
				require.NoError(t, err)
				require.Equal(t, &at, got.AcceptedAt)

				require.NoError(t, tx.InvitationDelete(f.ctx, f.tenantA.ID, invA.ID))
				_, err = tx.InvitationGetByID(f.ctx, f.tenantA.ID, invA.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				got, err := tx.InvitationGetByID(f.ctx, f.tenantB.ID, invB.ID)
				require.NoError(t, err)
				require.Nil(t, got.AcceptedAt)
			})
			err := f.s.InTx(f.ctx, f.tenantB.ID, func(tx store.Tx) error {
				_, err := tx.InvitationInsert(f.ctx, &store.InvitationInsertParams{
					TenantID: f.tenantB.ID, Email: "x@example.com", Role: domain.RoleAdmin,
					TokenHash: []byte("inv-b"), InvitedBy: f.user.ID, ExpiresAt: exp,
				})
				return err
			})
			require.ErrorIs(t, err, store.ErrConflict)
		}},
		{"APIKey/InsertGetListRevokeTouch", func(t *testing.T, f *fixture) {
			var keyA, keyB *domain.APIKey
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				var err error
				keyA, err = tx.APIKeyInsert(f.ctx, &store.APIKeyInsertParams{
					TenantID: f.tenantA.ID, Name: "CI", Prefix: "nf_aaaa", SecretHash: []byte("secret-a"),
					Scopes: []string{domain.ScopeEventsWrite, domain.ScopeFull}, CreatedBy: &f.user.ID,
				})
				require.NoError(t, err)
				require.Equal(t, "CI", keyA.Name)
				require.Equal(t, "nf_aaaa", keyA.Prefix)
				require.Equal(t, []byte("secret-a"), keyA.SecretHash)
				require.Equal(t, []string{domain.ScopeEventsWrite, domain.ScopeFull}, keyA.Scopes)
				require.Equal(t, &f.user.ID, keyA.CreatedBy)
				require.Nil(t, keyA.LastUsedAt)
				require.Nil(t, keyA.RevokedAt)
				key2, err := tx.APIKeyInsert(f.ctx, &store.APIKeyInsertParams{
					TenantID: f.tenantA.ID, Name: "Other", Prefix: "nf_aaab", SecretHash: []byte("s"), Scopes: []string{domain.ScopeFull},
				})
				require.NoError(t, err)
				require.Nil(t, key2.CreatedBy)

				list, err := tx.APIKeyListByTenant(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Len(t, list, 2)
				require.Equal(t, key2.ID, list[0].ID, "newest first")
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				var err error
				keyB, err = tx.APIKeyInsert(f.ctx, &store.APIKeyInsertParams{
					TenantID: f.tenantB.ID, Name: "B", Prefix: "nf_bbbb", SecretHash: []byte("secret-b"), Scopes: []string{domain.ScopeFull},
				})
				require.NoError(t, err)
			})
			f.system(t, func(tx store.Tx) {
				got, err := tx.APIKeyGetByPrefix(f.ctx, "nf_bbbb")
				require.NoError(t, err)
				require.Equal(t, keyB, got)
				_, err = tx.APIKeyGetByPrefix(f.ctx, "nf_none")
				require.ErrorIs(t, err, store.ErrNotFound)
			})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.APIKeyGetByID(f.ctx, f.tenantA.ID, keyA.ID)
				require.NoError(t, err)
				require.Equal(t, keyA, got)
				list, err := tx.APIKeyListByTenant(f.ctx, f.tenantA.ID)
				require.NoError(t, err)
				require.Len(t, list, 2, "another tenant's key is not listed")

				_, err = tx.APIKeyGetByID(f.ctx, f.tenantA.ID, keyB.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorIs(t, tx.APIKeyRevoke(f.ctx, f.tenantA.ID, keyB.ID, ts()), store.ErrNotFound)
				require.ErrorIs(t, tx.APIKeyTouch(f.ctx, f.tenantA.ID, keyB.ID, ts()), store.ErrNotFound)

				used := ts()
				require.NoError(t, tx.APIKeyTouch(f.ctx, f.tenantA.ID, keyA.ID, used))
				revoked := used.Add(time.Second)
				require.NoError(t, tx.APIKeyRevoke(f.ctx, f.tenantA.ID, keyA.ID, revoked))
				got, err = tx.APIKeyGetByID(f.ctx, f.tenantA.ID, keyA.ID)
				require.NoError(t, err)
				require.Equal(t, &used, got.LastUsedAt)
				require.Equal(t, &revoked, got.RevokedAt)
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				got, err := tx.APIKeyGetByID(f.ctx, f.tenantB.ID, keyB.ID)
				require.NoError(t, err)
				require.Nil(t, got.RevokedAt)
				require.Nil(t, got.LastUsedAt)
			})
			err := f.s.InTx(f.ctx, f.tenantB.ID, func(tx store.Tx) error {
				_, err := tx.APIKeyInsert(f.ctx, &store.APIKeyInsertParams{
					TenantID: f.tenantB.ID, Name: "dup", Prefix: "nf_aaaa", SecretHash: []byte("s"), Scopes: []string{domain.ScopeFull},
				})
				return err
			})
			require.ErrorIs(t, err, store.ErrConflict, "prefixes are unique across tenants")
		}},
		{"AuditListByTenant/NewestFirstOwnTenantOnly", func(t *testing.T, f *fixture) {
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				for i := range 5 {
					require.NoError(t, tx.AuditInsert(f.ctx, &store.AuditInsertParams{
						TenantID: f.tenantA.ID, ActorType: "user", ActorID: &f.user.ID, Action: fmt.Sprintf("test.action%d", i),
						TargetType: "workflow", TargetID: "wf-1", Data: json.RawMessage(`{"i": ` + fmt.Sprint(i) + `}`), IP: "10.0.0.1",
					}))
				}
			})
			f.in(t, f.tenantB.ID, func(tx store.Tx) {
				require.NoError(t, tx.AuditInsert(f.ctx, &store.AuditInsertParams{TenantID: f.tenantB.ID, ActorType: "system", Action: "b.only"}))
			})
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				all, err := tx.AuditListByTenant(f.ctx, &store.AuditListParams{TenantID: f.tenantA.ID})
				require.NoError(t, err)
				require.Len(t, all, 5)
				require.Equal(t, "test.action4", all[0].Action, "newest first")
				require.Equal(t, f.tenantA.ID, all[0].TenantID)
				require.Equal(t, "user", all[0].ActorType)
				require.Equal(t, &f.user.ID, all[0].ActorID)
				require.Equal(t, "workflow", all[0].TargetType)
				require.Equal(t, "wf-1", all[0].TargetID)
				require.Equal(t, "10.0.0.1", all[0].IP)
				requireJSON(t, `{"i": 4}`, all[0].Data)
				require.False(t, all[0].CreatedAt.IsZero())

				page1, err := tx.AuditListByTenant(f.ctx, &store.AuditListParams{TenantID: f.tenantA.ID, Limit: 2})
				require.NoError(t, err)
				require.Equal(t, all[:2], page1)
				page2, err := tx.AuditListByTenant(f.ctx, &store.AuditListParams{TenantID: f.tenantA.ID, Before: page1[1].ID, Limit: 2})
				require.NoError(t, err)
				require.Equal(t, all[2:4], page2)
				page3, err := tx.AuditListByTenant(f.ctx, &store.AuditListParams{TenantID: f.tenantA.ID, Before: page2[1].ID, Limit: 2})
				require.NoError(t, err)
				require.Equal(t, all[4:], page3)
			})
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				b, err := tx.AuditListByTenant(f.ctx, &store.AuditListParams{TenantID: f.tenantB.ID})
				require.NoError(t, err)
				require.Len(t, b, 1)
				require.Equal(t, "b.only", b[0].Action)
				require.Nil(t, b[0].ActorID)
				require.Empty(t, b[0].Data)
			})
		}},
	}
}
