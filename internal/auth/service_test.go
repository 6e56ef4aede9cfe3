package auth_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type recordingMailer struct {
	mu   sync.Mutex
	sent []auth.InvitationMessage
}

func (m *recordingMailer) SendInvitation(_ context.Context, msg auth.InvitationMessage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

// eachStore runs fn on SQLite, on PostgreSQL, and on PostgreSQL connected
// as an ordinary role, where row-level security applies as in production:
// a service call that reads another tenant's rows in the wrong
// transaction scope fails there.
func eachStore(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	storetest.Each(t, fn)
	t.Run("postgres-rls", func(t *testing.T) {
		fn(t, storetest.PostgresAppRole(t))
	})
}

type bundle struct {
	svc    *auth.Service
	st     store.Store
	clock  *clock
	mailer *recordingMailer
}

var meta = auth.RequestMeta{IP: "192.0.2.1", UserAgent: "test"}

const password = "correct horse battery"

func setup(t *testing.T, st store.Store) *bundle {
	t.Helper()
	b := &bundle{st: st, clock: &clock{t: time.Now().UTC()}, mailer: &recordingMailer{}}
	svc, err := auth.New(auth.Options{
		Store: st, Now: b.clock.Now, Mailer: b.mailer, BaseURL: "https://app.example.com",
		PasswordParams: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		Limiter:        auth.NewMemoryLimiter(b.clock.Now),
		// A queue long enough that the throttle tests never meet the gate.
		HashQueue: 1000, HashWait: time.Minute,
	})
	require.NoError(t, err)
	b.svc = svc
	return b
}

func (b *bundle) signup(t *testing.T, email, workspace string) *auth.SessionResult {
	t.Helper()
	res, err := b.svc.Signup(context.Background(), auth.SignupInput{Email: email, Password: password, Name: "User " + email, WorkspaceName: workspace}, meta)
	require.NoError(t, err)
	return res
}

func (b *bundle) principal(t *testing.T, token string) *auth.Principal {
	t.Helper()
	p, err := b.svc.ResolveSession(context.Background(), token)
	require.NoError(t, err)
	return p
}

func (b *bundle) auditActions(t *testing.T, tenantID uuid.UUID) []string {
	t.Helper()
	var actions []string
	require.NoError(t, b.st.Read(context.Background(), tenantID, func(tx store.Tx) error {
		entries, err := tx.AuditListByTenant(context.Background(), &store.AuditListParams{TenantID: tenantID, Limit: 200})
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		return err
	}))
	return actions
}

func TestSignupLoginLogout(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		b := setup(t, st)

		res := b.signup(t, " Ada@Example.com ", "Acme Inc.")
		require.Equal(t, "ada@example.com", res.User.Email)
		require.Equal(t, domain.RoleOwner, res.Role)
		require.NotEmpty(t, res.Token)
		require.NotEqual(t, auth.HashToken(res.Token), []byte(res.Token))
		var tenant *domain.Tenant
		require.NoError(t, st.Read(ctx, res.TenantID, func(tx store.Tx) error {
			var err error
			tenant, err = tx.TenantGetByID(ctx, res.TenantID)
			return err
		}))
		require.Equal(t, "acme-inc", tenant.Slug)
		require.Equal(t, domain.PlanFree, tenant.Plan)

		p := b.principal(t, res.Token)
		require.Equal(t, res.TenantID, p.TenantID)
		require.Equal(t, domain.RoleOwner, p.Role)
		require.Equal(t, auth.KindUser, p.Kind)

		// Same workspace name: another slug. Same email: refused.
		res2 := b.signup(t, "bob@example.com", "Acme Inc.")
		require.NoError(t, st.Read(ctx, res2.TenantID, func(tx store.Tx) error {
			t2, err := tx.TenantGetByID(ctx, res2.TenantID)
			require.NotEqual(t, tenant.Slug, t2.Slug)
			require.Regexp(t, `^acme-inc-[0-9a-f]{4}$`, t2.Slug)
			return err
		}))
		_, err := b.svc.Signup(ctx, auth.SignupInput{Email: "ADA@example.com", Password: password, Name: "x", WorkspaceName: "y"}, meta)
		require.ErrorIs(t, err, auth.ErrEmailTaken)

		// Bad input names the field and writes nothing.
		_, err = b.svc.Signup(ctx, auth.SignupInput{Email: "c@example.com", Password: "short", Name: "x", WorkspaceName: "y"}, meta)
		var ie *auth.InvalidInputError
		require.ErrorAs(t, err, &ie)
		require.Equal(t, "password", ie.Field)
		_, err = b.svc.Login(ctx, "c@example.com", "short", meta)
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)

		// Unknown email and wrong password look the same.
		_, err1 := b.svc.Login(ctx, "nobody@example.com", password, meta)
		_, err2 := b.svc.Login(ctx, "ada@example.com", "wrong password!", meta)
		require.ErrorIs(t, err1, auth.ErrInvalidCredentials)
		require.ErrorIs(t, err2, auth.ErrInvalidCredentials)
		require.Equal(t, err1.Error(), err2.Error())

		login, err := b.svc.Login(ctx, "ADA@example.com", password, meta)
		require.NoError(t, err)
		require.Equal(t, res.TenantID, login.TenantID)
		require.NotEqual(t, res.Token, login.Token)

		require.NoError(t, b.svc.Logout(ctx, b.principal(t, login.Token), meta))
		_, err = b.svc.ResolveSession(ctx, login.Token)
		require.ErrorIs(t, err, auth.ErrUnauthenticated)
		b.principal(t, res.Token) // the other session lives on

		login2, err := b.svc.Login(ctx, "ada@example.com", password, meta)
		require.NoError(t, err)
		n, err := b.svc.LogoutEverywhere(ctx, b.principal(t, login2.Token), meta)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		for _, tok := range []string{res.Token, login2.Token} {
			_, err = b.svc.ResolveSession(ctx, tok)
			require.ErrorIs(t, err, auth.ErrUnauthenticated)
		}
		_, err = b.svc.ResolveSession(ctx, "not-a-token")
		require.ErrorIs(t, err, auth.ErrUnauthenticated)

		b.svc.Wait()
		actions := b.auditActions(t, res.TenantID)
		for _, want := range []string{"auth.signup", "auth.login_failed", "auth.login", "auth.logout", "auth.logout_all"} {
			require.Contains(t, actions, want)
		}
	})
}

// TestLoginThrottle: the attacker's address runs out of tries on an
// account, with backoff; the owner from another address signs in.
func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		b := setup(t, st)
		b.signup(t, "ada@example.com", "Acme")
		attacker := auth.RequestMeta{IP: "203.0.113.66"}
		for i := 0; i < 5; i++ {
			_, err := b.svc.Login(ctx, "ada@example.com", "wrong password!", attacker)
			require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		}
		// Now the attacker's address waits, even with the right password
		// (it must not learn whether a guess was right)…
		_, err := b.svc.Login(ctx, "ada@example.com", password, attacker)
		var te *auth.ThrottledError
		require.ErrorAs(t, err, &te)
		require.ErrorIs(t, err, auth.ErrThrottled)
		require.Equal(t, 1, te.RetryAfterSeconds)
		// …with a growing wait: 1 s, 2 s, 4 s, …
		for _, want := range []int{1, 2, 4, 8} {
			b.clock.Advance(time.Duration(want) * time.Second)
			_, err = b.svc.Login(ctx, "ada@example.com", "wrong password!", attacker)
			require.ErrorIs(t, err, auth.ErrInvalidCredentials)
			_, err = b.svc.Login(ctx, "ada@example.com", "wrong password!", attacker)
			require.ErrorAs(t, err, &te)
			require.Equal(t, want*2, te.RetryAfterSeconds)
		}
		// …but the owner, from her own address, is not locked out.
		_, err = b.svc.Login(ctx, "ada@example.com", password, meta)
		require.NoError(t, err)

		// Unknown accounts are throttled the same way (no existence oracle).
		for i := 0; i < 5; i++ {
			_, err := b.svc.Login(ctx, "ghost@example.com", "wrong password!", attacker)
			require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		}
		_, err = b.svc.Login(ctx, "ghost@example.com", "wrong password!", attacker)
		require.ErrorIs(t, err, auth.ErrThrottled)

		// The owner's own mistakes are forgotten when she signs in.
		for i := 0; i < 4; i++ {
			_, err = b.svc.Login(ctx, "ada@example.com", "wrong password!", meta)
			require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		}
		_, err = b.svc.Login(ctx, "ada@example.com", password, meta)
		require.NoError(t, err)
		for i := 0; i < 5; i++ {
			_, err = b.svc.Login(ctx, "ada@example.com", "wrong password!", meta)
			require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		}
		_, err = b.svc.Login(ctx, "ada@example.com", password, meta)
		require.ErrorIs(t, err, auth.ErrThrottled)
		b.svc.Wait()
	})
}

// TestLoginThrottleSharedAddress: successful sign-ins from one address
// (an office behind NAT) never slow it down; its failures still count.
func TestLoginThrottleSharedAddress(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.SQLite(t))
	ctx := context.Background()
	b.signup(t, "ada@example.com", "Acme")
	office := auth.RequestMeta{IP: "198.51.100.77"}
	for i := 0; i < 3*auth.DefaultLoginPolicy.IP.Free; i++ {
		_, err := b.svc.Login(ctx, "ada@example.com", password, office)
		require.NoError(t, err, "sign-in %d", i)
	}
	// Spraying many accounts from the address meets the per-IP limit.
	for i := 0; i < auth.DefaultLoginPolicy.IP.Free; i++ {
		_, err := b.svc.Login(ctx, fmt.Sprintf("user%d@example.com", i), "wrong password!", office)
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
	}
	_, err := b.svc.Login(ctx, "someone@example.com", "wrong password!", office)
	require.ErrorIs(t, err, auth.ErrThrottled)
	b.svc.Wait()
}

// TestLoginThrottleParallel makes 40 wrong guesses at once on one account
// from one address: exactly the free five are checked, the rest refused
// without a password check.
func TestLoginThrottleParallel(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.SQLite(t))
	b.signup(t, "ada@example.com", "Acme")
	invalid, throttled := parallelWrongLogins(t, []*auth.Service{b.svc}, "ada@example.com", 40)
	require.Equal(t, auth.DefaultLoginPolicy.Client.Free, invalid)
	require.Equal(t, 40-invalid, throttled)
	b.svc.Wait()
}

// parallelWrongLogins runs n wrong sign-ins on email from one address at
// once, spread over svcs, and counts the answers: invalid (the password
// was checked) and throttled (it was not).
func parallelWrongLogins(t *testing.T, svcs []*auth.Service, email string, n int) (invalid, throttled int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	var other []error
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := svcs[i%len(svcs)].Login(context.Background(), email, "wrong password!", auth.RequestMeta{IP: "203.0.113.66"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, auth.ErrInvalidCredentials):
				invalid++
			case errors.Is(err, auth.ErrThrottled):
				throttled++
			default:
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	require.Empty(t, other)
	return invalid, throttled
}

// TestLoginThrottleManyAddresses: guesses from many addresses meet the
// per-account ceiling, which slows the account down but never makes its
// owner wait more than the ceiling's cap.
func TestLoginThrottleManyAddresses(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.SQLite(t))
	ctx := context.Background()
	b.signup(t, "ada@example.com", "Acme")
	ceiling := auth.DefaultLoginPolicy.Account
	refused := 0
	for i := 0; i < 200; i++ {
		_, err := b.svc.Login(ctx, "ada@example.com", "wrong password!", auth.RequestMeta{IP: fmt.Sprintf("198.51.100.%d", i)})
		var te *auth.ThrottledError
		if errors.As(err, &te) {
			refused++
			require.LessOrEqual(t, te.RetryAfterSeconds, int(ceiling.Max/time.Second))
			continue
		}
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		b.clock.Advance(time.Second)
	}
	require.Positive(t, refused, "the ceiling applies across addresses")
	// The owner, from a new address, waits at most the cap, then signs in.
	_, err := b.svc.Login(ctx, "ada@example.com", password, meta)
	var te *auth.ThrottledError
	if errors.As(err, &te) {
		require.LessOrEqual(t, te.RetryAfterSeconds, int(ceiling.Max/time.Second))
		b.clock.Advance(time.Duration(te.RetryAfterSeconds) * time.Second)
		_, err = b.svc.Login(ctx, "ada@example.com", password, meta)
	}
	require.NoError(t, err)
	b.svc.Wait()
}

// TestSignupThrottle: sign-ups from one address are counted, with backoff.
func TestSignupThrottle(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.SQLite(t))
	ctx := context.Background()
	free := auth.DefaultLoginPolicy.Signup.Free
	for i := 0; i < free; i++ {
		_, err := b.svc.Signup(ctx, auth.SignupInput{Email: fmt.Sprintf("u%d@example.com", i), Password: password, Name: "U", WorkspaceName: "W"}, meta)
		require.NoError(t, err)
	}
	_, err := b.svc.Signup(ctx, auth.SignupInput{Email: "late@example.com", Password: password, Name: "U", WorkspaceName: "W"}, meta)
	require.ErrorIs(t, err, auth.ErrThrottled)
	_, err = b.svc.Signup(ctx, auth.SignupInput{Email: "other@example.com", Password: password, Name: "U", WorkspaceName: "W"}, auth.RequestMeta{IP: "198.51.100.1"})
	require.NoError(t, err)
}

// TestSignupPasswordPolicy: weak passwords are refused, naming the field,
// and nothing is written.
func TestSignupPasswordPolicy(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.SQLite(t))
	ctx := context.Background()
	for _, pw := range []string{"            ", "password123", "1234567890", "qwertyuiop", "ada@example.com", "Ada Lovelace 1"} {
		_, err := b.svc.Signup(ctx, auth.SignupInput{Email: "ada@example.com", Password: pw, Name: "Ada Lovelace", WorkspaceName: "Acme"}, meta)
		var ie *auth.InvalidInputError
		require.ErrorAs(t, err, &ie, "%q", pw)
		require.Equal(t, "password", ie.Field)
	}
	_, err := b.svc.Login(ctx, "ada@example.com", "password123", meta)
	require.ErrorIs(t, err, auth.ErrInvalidCredentials, "no account was made")
	// Refused passwords cost no sign-up budget.
	for i := 0; i < auth.DefaultLoginPolicy.Signup.Free+5; i++ {
		_, err := b.svc.Signup(ctx, auth.SignupInput{Email: "ada@example.com", Password: "qwertyuiop", Name: "Ada", WorkspaceName: "Acme"}, meta)
		require.Error(t, err)
		require.NotErrorIs(t, err, auth.ErrThrottled)
	}
	b.signup(t, "ada@example.com", "Acme")

	// The same policy for an invitation's new account and for the admin
	// command.
	ada := b.principal(t, b.signup(t, "grace@example.com", "Hopper").Token)
	inv, err := b.svc.CreateInvitation(ctx, ada, "bob@example.com", domain.RoleViewer, "", meta)
	require.NoError(t, err)
	_, err = b.svc.AcceptInvitation(ctx, auth.AcceptInput{Token: inv.Token, Name: "Bob Smith", Password: "bob@example.com"}, meta)
	var ie *auth.InvalidInputError
	require.ErrorAs(t, err, &ie)
	require.Equal(t, "password", ie.Field)
	_, err = b.svc.AcceptInvitation(ctx, auth.AcceptInput{Token: inv.Token, Name: "Bob Smith", Password: password}, meta)
	require.NoError(t, err, "the invitation is still open")
	_, err = b.svc.CreateUser(ctx, "root@example.com", "          ", "Root")
	require.ErrorAs(t, err, &ie)
	require.Equal(t, "password", ie.Field)
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		b := setup(t, st)
		res := b.signup(t, "ada@example.com", "Acme")
		// Sliding: used every 20 days, the session lives past 30 days…
		b.clock.Advance(20 * 24 * time.Hour)
		b.principal(t, res.Token)
		b.clock.Advance(20 * 24 * time.Hour)
		b.principal(t, res.Token)
		// …but not 31 idle days.
		b.clock.Advance(31 * 24 * time.Hour)
		_, err := b.svc.ResolveSession(ctx, res.Token)
		require.ErrorIs(t, err, auth.ErrUnauthenticated)

		// And never past the absolute limit (a fresh clock: the store stamps
		// new sessions with its own time).
		b = setup(t, st)
		res2 := b.signup(t, "bob@example.com", "Bobs")
		for i := 0; i < 5; i++ {
			b.clock.Advance(20 * 24 * time.Hour)
			_, err = b.svc.ResolveSession(ctx, res2.Token)
			if i < 4 {
				require.NoError(t, err, "day %d", (i+1)*20)
			}
		}
		require.ErrorIs(t, err, auth.ErrUnauthenticated, "day 100")
	})
}

func TestInviteAcceptSwitch(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		b := setup(t, st)
		ada := b.signup(t, "ada@example.com", "Acme")
		adaP := b.principal(t, ada.Token)

		inv, err := b.svc.CreateInvitation(ctx, adaP, "Bob@Example.com", domain.RoleViewer, "http://ignored", meta)
		require.NoError(t, err)
		require.Equal(t, "https://app.example.com/invite?token="+inv.Token, inv.URL, "links come from BaseURL only")
		require.True(t, inv.Emailed)
		require.Len(t, b.mailer.sent, 1)
		require.Equal(t, "bob@example.com", b.mailer.sent[0].To)
		require.Equal(t, inv.URL, b.mailer.sent[0].AcceptURL)
		require.Equal(t, "Acme", b.mailer.sent[0].WorkspaceName)

		list, err := b.svc.ListInvitations(ctx, adaP)
		require.NoError(t, err)
		require.Len(t, list, 1)

		// A new user: name and password required.
		_, err = b.svc.AcceptInvitation(ctx, auth.AcceptInput{Token: inv.Token}, meta)
		var ie *auth.InvalidInputError
		require.ErrorAs(t, err, &ie)
		bob, err := b.svc.AcceptInvitation(ctx, auth.AcceptInput{Token: inv.Token, Name: "Bob", Password: password}, meta)
		require.NoError(t, err)
		require.Equal(t, ada.TenantID, bob.TenantID)
		require.Equal(t, domain.RoleViewer, bob.Role)
		bobP := b.principal(t, bob.Token)
		require.Equal(t, domain.RoleViewer, bobP.Role)
		require.Error(t, bobP.Require(auth.PermWorkflowsWrite))

		// A token works once.
		_, err = b.svc.AcceptInvitation(ctx, auth.AcceptInput{Token: inv.Token, Name: "Eve", Password: password}, meta)
		require.ErrorIs(t, err, auth.ErrInvitationInvalid)

		// Bob makes his own workspace, then invites Ada, who already has an
		// account: she proves it with her password.
		bobWS, err := b.svc.CreateTenant(ctx, "Bob's Shop", "", "", "bob@example.com")
		require.NoError(t, err)
		bobP, err = b.svc.SwitchTenant(ctx, bobP, bobWS.ID)
		require.NoError(t, err)
		require.Equal(t, domain.RoleOwner, bobP.Role)
		inv2, err := b.svc.CreateInvitation(ctx, bobP, "ada@example.com", domain.RoleAdmin, "", meta)
		require.NoError(t, err)
		_, err = b.svc.AcceptInvitation(ctx, auth.AcceptInput{Token: inv2.Token, Password: "wrong password!"}, meta)
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		// Signed in as Ada: no password needed; her session switches.
		acc, err := b.svc.AcceptInvitation(ctx, auth.AcceptInput{Token: inv2.Token, Current: adaP}, meta)
		require.NoError(t, err)
		require.Empty(t, acc.Token)
		adaP = b.principal(t, ada.Token)
		require.Equal(t, bobWS.ID, adaP.TenantID)
		require.Equal(t, domain.RoleAdmin, adaP.Role)

		me, err := b.svc.Me(ctx, adaP)
		require.NoError(t, err)
		require.Len(t, me.Memberships, 2)
		require.Equal(t, bobWS.ID, me.Active.TenantID)

		// Switching to a workspace she is not in is not found.
		stranger := b.signup(t, "eve@example.com", "Eve Corp")
		_, err = b.svc.SwitchTenant(ctx, adaP, stranger.TenantID)
		require.ErrorIs(t, err, store.ErrNotFound)
		adaP, err = b.svc.SwitchTenant(ctx, adaP, ada.TenantID)
		require.NoError(t, err)
		require.Equal(t, domain.RoleOwner, adaP.Role)

		// Expired and revoked invitations are refused.
		inv3, err := b.svc.CreateInvitation(ctx, adaP, "carol@example.com", domain.RoleOperator, "", meta)
		require.NoError(t, err)
		inv4, err := b.svc.CreateInvitation(ctx, adaP, "dan@example.com", domain.RoleOperator, "", meta)
		require.NoError(t, err)
		require.NoError(t, b.svc.RevokeInvitation(ctx, adaP, inv4.Invitation.ID, meta))
		_, err = b.svc.AcceptInvitation(ctx, auth.AcceptInput{Token: inv4.Token, Name: "Dan", Password: password}, meta)
		require.ErrorIs(t, err, auth.ErrInvitationInvalid)
		b.clock.Advance(8 * 24 * time.Hour)
		_, err = b.svc.AcceptInvitation(ctx, auth.AcceptInput{Token: inv3.Token, Name: "Carol", Password: password}, meta)
		require.ErrorIs(t, err, auth.ErrInvitationInvalid)

		// Inviting an existing member is a conflict; a VIEWER cannot invite.
		_, err = b.svc.CreateInvitation(ctx, adaP, "bob@example.com", domain.RoleAdmin, "", meta)
		require.ErrorIs(t, err, auth.ErrAlreadyMember)
		bobInAcme, err := b.svc.SwitchTenant(ctx, b.principal(t, bob.Token), ada.TenantID)
		require.NoError(t, err)
		_, err = b.svc.CreateInvitation(ctx, bobInAcme, "x@example.com", domain.RoleViewer, "", meta)
		var pe *auth.PermissionError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, auth.PermMembersManage, pe.Permission)

		actions := b.auditActions(t, ada.TenantID)
		for _, want := range []string{"invitation.created", "invitation.accepted", "member.added", "invitation.revoked"} {
			require.Contains(t, actions, want)
		}
	})
}

func TestMembersAndLastOwner(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		b := setup(t, st)
		ada := b.signup(t, "ada@example.com", "Acme")
		adaP := b.principal(t, ada.Token)
		join := func(email string, role domain.Role) *auth.Principal {
			inv, err := b.svc.CreateInvitation(ctx, adaP, email, role, "", meta)
			require.NoError(t, err)
			res, err := b.svc.AcceptInvitation(ctx, auth.AcceptInput{Token: inv.Token, Name: email, Password: password}, meta)
			require.NoError(t, err)
			return b.principal(t, res.Token)
		}
		admin := join("admin@example.com", domain.RoleAdmin)
		op := join("op@example.com", domain.RoleOperator)

		// The last OWNER can neither be demoted nor removed, even by herself.
		_, err := b.svc.ChangeMemberRole(ctx, adaP, ada.User.ID, domain.RoleAdmin, meta)
		require.ErrorIs(t, err, auth.ErrLastOwner)
		require.ErrorIs(t, b.svc.RemoveMember(ctx, adaP, ada.User.ID, meta), auth.ErrLastOwner)

		// An ADMIN manages members but cannot touch OWNERs.
		_, err = b.svc.ChangeMemberRole(ctx, admin, op.User.ID, domain.RoleViewer, meta)
		require.NoError(t, err)
		_, err = b.svc.ChangeMemberRole(ctx, admin, admin.User.ID, domain.RoleOwner, meta)
		var pe *auth.PermissionError
		require.ErrorAs(t, err, &pe)
		require.Equal(t, auth.PermOwnersManage, pe.Permission)
		err = b.svc.RemoveMember(ctx, admin, ada.User.ID, meta)
		require.ErrorAs(t, err, &pe)
		_, err = b.svc.CreateInvitation(ctx, admin, "o2@example.com", domain.RoleOwner, "", meta)
		require.ErrorAs(t, err, &pe)

		// The role change took effect at once.
		opP := b.principal(t, mustLogin(t, b, "op@example.com"))
		require.Equal(t, domain.RoleViewer, opP.Role)
		_, err = b.svc.ChangeMemberRole(ctx, opP, admin.User.ID, domain.RoleViewer, meta)
		require.ErrorAs(t, err, &pe)
		require.Equal(t, auth.PermMembersManage, pe.Permission)

		// With two OWNERs, one may step down; then the other is the last.
		_, err = b.svc.ChangeMemberRole(ctx, adaP, admin.User.ID, domain.RoleOwner, meta)
		require.NoError(t, err)
		_, err = b.svc.ChangeMemberRole(ctx, adaP, ada.User.ID, domain.RoleAdmin, meta)
		require.NoError(t, err)
		owner2 := b.principal(t, mustLogin(t, b, "admin@example.com"))
		require.ErrorIs(t, b.svc.RemoveMember(ctx, owner2, owner2.User.ID, meta), auth.ErrLastOwner)

		// Unknown member: not found; a removed member loses access.
		_, err = b.svc.ChangeMemberRole(ctx, owner2, uuid.New(), domain.RoleViewer, meta)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, b.svc.RemoveMember(ctx, owner2, op.User.ID, meta))
		opP, err = b.svc.ResolveSession(ctx, mustLogin(t, b, "op@example.com"))
		require.NoError(t, err)
		require.Equal(t, uuid.Nil, opP.TenantID)
		require.ErrorIs(t, opP.Require(auth.PermWorkflowsRead), auth.ErrNoWorkspace)

		ms, err := b.svc.ListMembers(ctx, owner2)
		require.NoError(t, err)
		require.Len(t, ms, 2)
		actions := b.auditActions(t, ada.TenantID)
		require.Contains(t, actions, "member.role_changed")
		require.Contains(t, actions, "member.removed")
	})
}

func TestLastOwnerConcurrent(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		b := setup(t, st)
		ada := b.signup(t, "ada@example.com", "Acme")
		adaP := b.principal(t, ada.Token)
		inv, err := b.svc.CreateInvitation(ctx, adaP, "bob@example.com", domain.RoleOwner, "", meta)
		require.NoError(t, err)
		bob, err := b.svc.AcceptInvitation(ctx, auth.AcceptInput{Token: inv.Token, Name: "Bob", Password: password}, meta)
		require.NoError(t, err)
		bobP := b.principal(t, bob.Token)
		// Both OWNERs demote themselves at once: exactly one may succeed.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, p := range []*auth.Principal{adaP, bobP} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = b.svc.ChangeMemberRole(ctx, p, p.User.ID, domain.RoleViewer, meta)
			}()
		}
		wg.Wait()
		var n int
		require.NoError(t, st.Read(ctx, ada.TenantID, func(tx store.Tx) error {
			n, err = tx.MembershipCountByRole(ctx, ada.TenantID, domain.RoleOwner)
			return err
		}))
		require.Equal(t, 1, n, "errors: %v", errs)
		require.True(t, errors.Is(errs[0], auth.ErrLastOwner) != errors.Is(errs[1], auth.ErrLastOwner), "errors: %v", errs)
	})
}

func mustLogin(t *testing.T, b *bundle, email string) string {
	t.Helper()
	res, err := b.svc.Login(context.Background(), email, password, meta)
	require.NoError(t, err)
	return res.Token
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		b := setup(t, st)
		ada := b.signup(t, "ada@example.com", "Acme")
		adaP := b.principal(t, ada.Token)

		_, err := b.svc.CreateAPIKey(ctx, adaP, "bad", []string{"admin"}, meta)
		var ie *auth.InvalidInputError
		require.ErrorAs(t, err, &ie)

		full, err := b.svc.CreateAPIKey(ctx, adaP, "CI", []string{domain.ScopeFull}, meta)
		require.NoError(t, err)
		ev, err := b.svc.CreateAPIKey(ctx, adaP, "tracker", []string{domain.ScopeEventsWrite}, meta)
		require.NoError(t, err)

		kp, err := b.svc.ResolveAPIKey(ctx, full.Secret)
		require.NoError(t, err)
		require.Equal(t, auth.KindAPIKey, kp.Kind)
		require.Equal(t, ada.TenantID, kp.TenantID)
		require.NoError(t, kp.Require(auth.PermWorkflowsWrite))
		require.Error(t, kp.Require(auth.PermAPIKeysManage), "keys cannot mint keys")
		_, err = b.svc.CreateAPIKey(ctx, kp, "escalate", []string{domain.ScopeFull}, meta)
		var pe *auth.PermissionError
		require.ErrorAs(t, err, &pe)

		ep, err := b.svc.ResolveAPIKey(ctx, ev.Secret)
		require.NoError(t, err)
		require.NoError(t, ep.Require(auth.PermEventsWrite))
		require.Error(t, ep.Require(auth.PermWorkflowsRead))

		keys, err := b.svc.ListAPIKeys(ctx, adaP)
		require.NoError(t, err)
		require.Len(t, keys, 2)
		for _, k := range keys {
			require.NotNil(t, k.LastUsedAt, "last use is recorded")
			require.NotContains(t, full.Secret, string(k.SecretHash))
		}

		// A tampered secret with a real prefix fails.
		tampered := full.Secret[:len(full.Secret)-2] + "AA"
		if tampered == full.Secret {
			tampered = full.Secret[:len(full.Secret)-2] + "BB"
		}
		_, err = b.svc.ResolveAPIKey(ctx, tampered)
		require.ErrorIs(t, err, auth.ErrUnauthenticated)

		require.NoError(t, b.svc.RevokeAPIKey(ctx, adaP, full.Key.ID, meta))
		_, err = b.svc.ResolveAPIKey(ctx, full.Secret)
		require.ErrorIs(t, err, auth.ErrUnauthenticated)

		// Another workspace's owner cannot revoke it.
		eve := b.signup(t, "eve@example.com", "Evil")
		err = b.svc.RevokeAPIKey(ctx, b.principal(t, eve.Token), ev.Key.ID, meta)
		require.ErrorIs(t, err, store.ErrNotFound)

		actions := b.auditActions(t, ada.TenantID)
		require.Contains(t, actions, "apikey.created")
		require.Contains(t, actions, "apikey.revoked")
	})
}

func TestAdminCommands(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, st store.Store) {
		t.Parallel()
		ctx := context.Background()
		b := setup(t, st)
		u, err := b.svc.CreateUser(ctx, "root@example.com", password, "Root")
		require.NoError(t, err)
		_, err = b.svc.CreateUser(ctx, "ROOT@example.com", password, "Root")
		require.ErrorIs(t, err, auth.ErrEmailTaken)
		_, err = b.svc.CreateUser(ctx, "x@example.com", "short", "X")
		require.Error(t, err)

		// A user without a workspace can sign in but reaches nothing.
		p := b.principal(t, mustLogin(t, b, "root@example.com"))
		require.Equal(t, uuid.Nil, p.TenantID)

		tn, err := b.svc.CreateTenant(ctx, "Ops Team", "ops", domain.PlanBiz, "root@example.com")
		require.NoError(t, err)
		require.Equal(t, "ops", tn.Slug)
		require.Equal(t, domain.PlanBiz, tn.Plan)
		_, err = b.svc.CreateTenant(ctx, "Ops Again", "ops", "", "root@example.com")
		require.ErrorIs(t, err, store.ErrConflict)
		_, err = b.svc.CreateTenant(ctx, "X", "Not A Slug", "", "root@example.com")
		require.Error(t, err)
		_, err = b.svc.CreateTenant(ctx, "X", "", "", "nobody@example.com")
		require.ErrorIs(t, err, store.ErrNotFound)

		// The next request picks the new workspace up.
		p = b.principal(t, mustLogin(t, b, "root@example.com"))
		require.Equal(t, tn.ID, p.TenantID)
		require.Equal(t, domain.RoleOwner, p.Role)
		require.Equal(t, u.ID, p.User.ID)
	})
}

// TestLoginThrottleRedisDown: when the shared limiter fails, sign-ins are
// throttled in process rather than not at all.
func TestLoginThrottleRedisDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Nothing listens on port 1.
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	svc, err := auth.New(auth.Options{
		Store:          storetest.SQLite(t),
		PasswordParams: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		Limiter:        auth.NewRedisLimiter(rdb, "nextflow:test:", nil),
	})
	require.NoError(t, err)
	_, err = svc.Signup(ctx, auth.SignupInput{Email: "ada@example.com", Password: password, Name: "Ada", WorkspaceName: "Acme"}, meta)
	require.NoError(t, err)
	for i := 0; i < auth.DefaultLoginPolicy.Client.Free; i++ {
		_, err = svc.Login(ctx, "ada@example.com", "wrong password!", meta)
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
	}
	_, err = svc.Login(ctx, "ada@example.com", password, meta)
	require.ErrorIs(t, err, auth.ErrThrottled)
	_, err = svc.Login(ctx, "ada@example.com", password, auth.RequestMeta{IP: "198.51.100.9"})
	require.NoError(t, err)
	svc.Wait()
}

// TestLoginThrottleAcrossNodes runs two services (two NextFlow processes)
// over one database and one Redis: failures on one count on the other.
func TestLoginThrottleAcrossNodes(t *testing.T) {
	t.Parallel()
	raw := os.Getenv("NEXTFLOW_TEST_REDIS_URL")
	if raw == "" {
		raw = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(raw)
	require.NoError(t, err)
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis at %s: %v", raw, err)
		}
		t.Skipf("redis at %s unavailable: %v", raw, err)
	}
	st := storetest.SQLite(t)
	ctx := context.Background()
	prefix := "nextflow:test:" + uuid.NewString() + ":"
	node := func() *auth.Service {
		svc, err := auth.New(auth.Options{
			Store:          st,
			PasswordParams: auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
			Limiter:        auth.NewRedisLimiter(rdb, prefix, nil),
			HashQueue:      1000, HashWait: time.Minute,
		})
		require.NoError(t, err)
		return svc
	}
	n1, n2 := node(), node()
	_, err = n1.Signup(ctx, auth.SignupInput{Email: "ada@example.com", Password: password, Name: "Ada", WorkspaceName: "Acme"}, meta)
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		_, err = n1.Login(ctx, "ada@example.com", "wrong password!", meta)
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
		_, err = n2.Login(ctx, "ada@example.com", "wrong password!", meta)
		require.ErrorIs(t, err, auth.ErrInvalidCredentials)
	}
	_, err = n1.Login(ctx, "ada@example.com", "wrong password!", meta)
	require.ErrorIs(t, err, auth.ErrInvalidCredentials)
	_, err = n1.Login(ctx, "ada@example.com", password, meta)
	require.ErrorIs(t, err, auth.ErrThrottled)
	_, err = n2.Login(ctx, "ada@example.com", password, meta)
	require.ErrorIs(t, err, auth.ErrThrottled)
	// The owner from another address signs in on either node.
	_, err = n2.Login(ctx, "ada@example.com", password, auth.RequestMeta{IP: "198.51.100.7"})
	require.NoError(t, err)

	// 40 parallel wrong guesses over both nodes: the free five are
	// checked, no more.
	_, err = n1.Signup(ctx, auth.SignupInput{Email: "bob@example.com", Password: password, Name: "Bob", WorkspaceName: "Bobs"}, auth.RequestMeta{IP: "198.51.100.8"})
	require.NoError(t, err)
	invalid, throttled := parallelWrongLogins(t, []*auth.Service{n1, n2}, "bob@example.com", 40)
	require.Equal(t, auth.DefaultLoginPolicy.Client.Free, invalid)
	require.Equal(t, 40-invalid, throttled)
	n1.Wait()
	n2.Wait()
}
