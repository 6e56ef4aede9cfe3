package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Defaults of Options.
const (
	DefaultSessionIdle    = 30 * 24 * time.Hour
	DefaultSessionMaxAge  = 90 * 24 * time.Hour
	DefaultInvitationTTL  = 7 * 24 * time.Hour
	DefaultInvitationPath = "/invite"
	// touchInterval is how often a session's or key's last use is written.
	touchInterval = time.Minute
	maxNameLen    = 200
	maxEmailLen   = 254
)

// Mailer sends invitation emails. It is optional: without one, the
// inviter shares the returned link.
type Mailer interface {
	SendInvitation(ctx context.Context, msg InvitationMessage) error
}

// InvitationMessage is what an invitation email says.
type InvitationMessage struct {
	To            string
	WorkspaceName string
	InviterName   string
	InviterEmail  string
	Role          domain.Role
	AcceptURL     string
	ExpiresAt     time.Time
}

// Options configure a Service. Store is required.
type Options struct {
	Store  store.Store
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Mailer emails invitations when set (and BaseURL is set).
	Mailer Mailer
	// BaseURL is the public URL of the dashboard (NEXTFLOW_BASE_URL); links
	// in emails are built only from it, never from request headers.
	BaseURL string
	// MemberQuota, when set, is called in an invitation's transaction
	// before it is inserted (the plan's member limit, usage.Meter's
	// Members); its error refuses the invitation and writes nothing.
	MemberQuota func(ctx context.Context, tx store.Tx, tenantID uuid.UUID) error
	// InvitationPath is the dashboard page that accepts invitations, given
	// the token as ?token= (default "/invite"). The access log records
	// paths only, so the token stays out of server logs.
	InvitationPath string
	// Limiter throttles sign-ins and sign-ups (default: in process; a
	// RedisLimiter shares it between processes) under LoginPolicy (default
	// DefaultLoginPolicy).
	Limiter     Limiter
	LoginPolicy LoginPolicy
	// PasswordParams are the argon2id costs (default DefaultPasswordParams).
	PasswordParams PasswordParams
	// HashConcurrency bounds the password hashes that run at once (default
	// GOMAXPROCS); HashQueue callers more may wait (default 16 per slot),
	// each at most HashWait (default 2 s); the rest get a BusyError. See
	// HashGate.
	HashConcurrency int
	HashQueue       int
	HashWait        time.Duration
	// SessionIdle ends a session not used for this long (sliding), and
	// SessionMaxAge ends every session this long after sign-in.
	SessionIdle   time.Duration
	SessionMaxAge time.Duration
	// InvitationTTL is how long an invitation can be accepted.
	InvitationTTL time.Duration
	// KeyCacheTTL is how long ResolveAPIKeyCached answers a resolved API
	// key from memory (default DefaultKeyCacheTTL; negative: never).
	KeyCacheTTL time.Duration
}

// Service is the accounts service.
type Service struct {
	st       store.Store
	log      *slog.Logger
	now      func() time.Time
	mailer   Mailer
	baseURL  string
	invPath  string
	lim      Limiter
	policy   LoginPolicy
	gate     *HashGate
	fallback *MemoryLimiter
	// shed counts requests the hashing gate refused since shedLogged, the
	// last warning about them.
	shedMu     sync.Mutex
	shed       int
	shedLogged time.Time
	// verify is VerifyPassword (a seam for tests that count the work).
	verify    func(pw, encoded string) (bool, error)
	pwParams  PasswordParams
	idle      time.Duration
	maxAge    time.Duration
	invTTL    time.Duration
	dummyHash string
	// bg counts background work (failed sign-in audits); Wait drains it.
	bg sync.WaitGroup
	// memberQuota is Options.MemberQuota.
	memberQuota func(ctx context.Context, tx store.Tx, tenantID uuid.UUID) error
	// keys answers ResolveAPIKeyCached from memory.
	keys keyCache
}

// Wait blocks until background work (audit entries of failed sign-ins)
// is done; call it at shutdown.
func (s *Service) Wait() { s.bg.Wait() }

// New builds a Service.
func New(opts Options) (*Service, error) {
	if opts.Store == nil {
		return nil, errors.New("auth: a store is required")
	}
	s := &Service{
		st: opts.Store, log: opts.Logger, now: opts.Now, mailer: opts.Mailer,
		baseURL: strings.TrimRight(opts.BaseURL, "/"), invPath: opts.InvitationPath,
		lim: opts.Limiter, policy: opts.LoginPolicy, pwParams: opts.PasswordParams,
		gate: NewHashGate(opts.HashConcurrency, opts.HashQueue, opts.HashWait),
		idle: opts.SessionIdle, maxAge: opts.SessionMaxAge, invTTL: opts.InvitationTTL, memberQuota: opts.MemberQuota,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.invPath == "" {
		s.invPath = DefaultInvitationPath
	}
	s.verify = VerifyPassword
	s.keys.ttl = opts.KeyCacheTTL
	if s.keys.ttl == 0 {
		s.keys.ttl = DefaultKeyCacheTTL
	}
	s.fallback = NewMemoryLimiter(s.now)
	if s.lim == nil {
		s.lim = s.fallback
	}
	if s.policy == (LoginPolicy{}) {
		s.policy = DefaultLoginPolicy
	}
	if s.pwParams.Memory == 0 {
		s.pwParams = DefaultPasswordParams
	}
	if s.idle <= 0 {
		s.idle = DefaultSessionIdle
	}
	if s.maxAge <= 0 {
		s.maxAge = DefaultSessionMaxAge
	}
	if s.invTTL <= 0 {
		s.invTTL = DefaultInvitationTTL
	}
	// Verified against when the email is unknown, so that a sign-in costs
	// the same whether or not the account exists.
	h, err := HashPassword("nextflow-timing-equaliser", s.pwParams)
	if err != nil {
		return nil, err
	}
	s.dummyHash = h
	return s, nil
}

// RequestMeta describes the client of a call, for throttling, sessions and
// audit entries.
type RequestMeta struct {
	IP        string
	UserAgent string
}

// SessionResult is a new session: Token goes into the cookie and is never
// stored.
type SessionResult struct {
	Token   string
	Session *domain.Session
	User    *domain.User
	// TenantID and Role are the active workspace, if any.
	TenantID uuid.UUID
	Role     domain.Role
}

// SignupInput is a new account with its first workspace.
type SignupInput struct {
	Email         string
	Password      string
	Name          string
	WorkspaceName string
}

// NormalizeEmail trims and lower-cases an email address.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// ValidateEmail checks that email is one plain address.
func ValidateEmail(email string) error {
	if email == "" {
		return invalid("email", "is required")
	}
	if len(email) > maxEmailLen {
		return invalid("email", fmt.Sprintf("must be at most %d characters", maxEmailLen))
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		return invalid("email", "is not a valid email address")
	}
	return nil
}

func validateName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", invalid(field, "is required")
	case utf8.RuneCountInString(name) > maxNameLen:
		return "", invalid(field, fmt.Sprintf("must be at most %d characters", maxNameLen))
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", invalid(field, "must not contain control characters")
	}
	return name, nil
}

// Signup creates a user, a workspace on plan FREE with a unique slug, the
// user's OWNER membership and a session.
func (s *Service) Signup(ctx context.Context, in SignupInput, meta RequestMeta) (*SessionResult, error) {
	email := NormalizeEmail(in.Email)
	if err := ValidateEmail(email); err != nil {
		return nil, err
	}
	name, err := validateName("name", in.Name)
	if err != nil {
		return nil, err
	}
	wsName, err := validateName("workspaceName", in.WorkspaceName)
	if err != nil {
		return nil, err
	}
	if err := validatePasswordShape(in.Password); err != nil {
		return nil, err
	}
	// Sign-ups count against the IP's sign-up budget: they reveal whether
	// an email is registered, so they must not be an unthrottled oracle.
	// The strength check (CPU) and the count run in the hashing slot, so a
	// sign-up shed by the gate costs no budget, and a refused password
	// neither.
	var hash string
	err = s.inHashSlot(ctx, func() error {
		if err := validatePasswordStrength(in.Password, email, name, wsName); err != nil {
			return err
		}
		if err := s.take(ctx, LimitKey{Key: "signup:" + meta.IP, Rule: s.policy.Signup}); err != nil {
			return err
		}
		var err error
		hash, err = HashPassword(in.Password, s.pwParams)
		return err
	})
	if err != nil {
		return nil, err
	}
	var res *SessionResult
	for attempt := 0; ; attempt++ {
		res, err = s.signupTx(ctx, email, name, wsName, hash, attempt, meta)
		if errors.Is(err, errSlugTaken) && attempt < 5 {
			continue // a concurrent sign-up took the slug between check and insert
		}
		break
	}
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "signup", "user_id", res.User.ID, "tenant_id", res.TenantID)
	return res, nil
}

var errSlugTaken = errors.New("slug taken")

func (s *Service) signupTx(ctx context.Context, email, name, wsName, hash string, attempt int, meta RequestMeta) (*SessionResult, error) {
	tenantID := domain.NewID()
	var res *SessionResult
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		if _, err := tx.UserGetByEmail(ctx, email); err == nil {
			return ErrEmailTaken
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("look up email: %w", err)
		}
		slug, err := uniqueSlug(ctx, tx, Slugify(wsName), attempt > 0)
		if err != nil {
			return err
		}
		user, err := tx.UserInsert(ctx, &store.UserInsertParams{ID: domain.NewID(), Email: email, Name: name, PasswordHash: hash})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return ErrEmailTaken
			}
			return fmt.Errorf("insert user: %w", err)
		}
		tenant, err := tx.TenantInsert(ctx, &store.TenantInsertParams{ID: tenantID, Name: wsName, Slug: slug, Plan: domain.PlanFree})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errSlugTaken
			}
			return fmt.Errorf("insert tenant: %w", err)
		}
		if _, err := tx.MembershipInsert(ctx, &store.MembershipInsertParams{TenantID: tenant.ID, UserID: user.ID, Role: domain.RoleOwner}); err != nil {
			return fmt.Errorf("insert membership: %w", err)
		}
		actor := &Principal{Kind: KindUser, User: user, TenantID: tenant.ID}
		if err := s.audit(ctx, tx, tenant.ID, actor, "auth.signup", "user", user.ID.String(), map[string]any{"workspace": tenant.Slug}, meta.IP); err != nil {
			return err
		}
		res, err = s.newSession(ctx, tx, user, tenant.ID, domain.RoleOwner, meta)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("signup: %w", err)
	}
	return res, nil
}

// newSession inserts a session for user with active tenant tenantID.
func (s *Service) newSession(ctx context.Context, tx store.Tx, user *domain.User, tenantID uuid.UUID, role domain.Role, meta RequestMeta) (*SessionResult, error) {
	token, hash, err := NewToken()
	if err != nil {
		return nil, err
	}
	var active *uuid.UUID
	if tenantID != uuid.Nil {
		active = &tenantID
	}
	sess, err := tx.SessionInsert(ctx, &store.SessionInsertParams{
		ID: domain.NewID(), UserID: user.ID, TokenHash: hash, ActiveTenantID: active,
		UserAgent: truncate(meta.UserAgent, 512), IP: meta.IP, ExpiresAt: s.now().Add(s.maxAge).UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("insert session: %w", err)
	}
	return &SessionResult{Token: token, Session: sess, User: user, TenantID: tenantID, Role: role}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// take charges one attempt to keys, or returns a ThrottledError when one
// of them asks to wait. When the limiter fails (Redis down) the attempt is
// charged to the in-process fallback instead: failing open would drop the
// throttle, failing closed would lock everyone out.
func (s *Service) take(ctx context.Context, keys ...LimitKey) error {
	wait, err := s.lim.Take(ctx, keys...)
	if err != nil {
		s.log.ErrorContext(ctx, "login throttle unavailable, throttling in process", "err", err)
		wait, _ = s.fallback.Take(ctx, keys...)
	}
	if wait > 0 {
		return &ThrottledError{RetryAfterSeconds: retryAfterSeconds(wait)}
	}
	return nil
}

// settleSignIn settles the throttle after a successful sign-in charged to
// keys (loginKeys): the account's counters are forgotten, and the attempt
// is taken back from the IP's (see LoginPolicy).
func (s *Service) settleSignIn(ctx context.Context, keys []LimitKey) {
	reset := []string{keys[0].Key, keys[1].Key}
	if err := s.lim.Reset(ctx, reset...); err != nil {
		s.log.ErrorContext(ctx, "login throttle unavailable", "err", err)
	}
	_ = s.fallback.Reset(ctx, reset...)
	if r, ok := s.lim.(Refunder); ok {
		if err := r.Refund(ctx, keys[2].Key); err != nil {
			s.log.ErrorContext(ctx, "login throttle unavailable", "err", err)
		}
	}
	if s.lim != Limiter(s.fallback) {
		_ = s.fallback.Refund(ctx, keys[2].Key)
	}
}

// loginKeys are the throttle counters a password check on email from ip
// is charged to (see LoginPolicy): Client first, Account, IP.
func (s *Service) loginKeys(email, ip string) []LimitKey {
	return []LimitKey{
		{Key: "login:client:" + strconv.Itoa(len(ip)) + ":" + ip + ":" + email, Rule: s.policy.Client},
		{Key: "login:account:" + email, Rule: s.policy.Account},
		{Key: "login:ip:" + ip, Rule: s.policy.IP},
	}
}

// checkPassword reports whether pw is user's password. The caller holds a
// hashing slot. An unknown user (nil) or a malformed stored hash is
// checked against the dummy hash, so that every answer costs the same
// argon2id work, and is never a match.
func (s *Service) checkPassword(ctx context.Context, user *domain.User, pw string) bool {
	if user != nil {
		ok, err := s.verify(pw, user.PasswordHash)
		if err == nil {
			return ok
		}
		s.log.ErrorContext(ctx, "stored password hash is malformed", "user_id", user.ID)
	}
	_, _ = s.verify(pw, s.dummyHash)
	return false
}

// inHashSlot runs fn in a hashing slot (HashGate.Do). Requests the gate
// sheds are logged as one warning a minute at most, with their count, so
// that a burst does not flood the log.
func (s *Service) inHashSlot(ctx context.Context, fn func() error) error {
	err := s.gate.Do(ctx, fn)
	if err == nil || !errors.Is(err, ErrBusy) {
		return err
	}
	s.shedMu.Lock()
	s.shed++
	now := s.now()
	var n int
	if now.Sub(s.shedLogged) >= time.Minute {
		n, s.shed, s.shedLogged = s.shed, 0, now
	}
	s.shedMu.Unlock()
	if n > 0 {
		s.log.WarnContext(ctx, "password hashing saturated: requests shed with 503", "shed", n,
			"concurrency", s.gate.Concurrency(), "since", "last warning or start")
	}
	return err
}

// hashNewPassword validates a new password (ValidatePassword, with
// userInputs as known words) and hashes it; the costly strength check and
// the hash run in a hashing slot.
func (s *Service) hashNewPassword(ctx context.Context, pw string, userInputs ...string) (string, error) {
	if err := validatePasswordShape(pw); err != nil {
		return "", err
	}
	var hash string
	err := s.inHashSlot(ctx, func() error {
		if err := validatePasswordStrength(pw, userInputs...); err != nil {
			return err
		}
		var err error
		hash, err = HashPassword(pw, s.pwParams)
		return err
	})
	return hash, err
}

// Login signs a user in by email and password. Unknown email and wrong
// password give the same ErrInvalidCredentials after the same work.
//
// Every check runs in a hashing slot (see HashGate; a BusyError when the
// server is saturated), and is first charged to the throttle's counters in
// one atomic step (see LoginPolicy; a ThrottledError when one asks to
// wait), so parallel attempts get exactly the policy's number of password
// checks. A successful sign-in forgets the account's counters.
func (s *Service) Login(ctx context.Context, email, password string, meta RequestMeta) (*SessionResult, error) {
	email = NormalizeEmail(email)
	keys := s.loginKeys(email, meta.IP)
	var (
		user        *domain.User
		memberships []domain.MembershipWithTenant
		ok          bool
		rehash      string
	)
	err := s.inHashSlot(ctx, func() error {
		if err := s.take(ctx, keys...); err != nil {
			return err
		}
		var err error
		user, memberships, err = s.userWithMemberships(ctx, email)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("login: %w", err)
		}
		ok = s.checkPassword(ctx, user, password)
		if ok && NeedsRehash(user.PasswordHash, s.pwParams) {
			if h, err := HashPassword(password, s.pwParams); err == nil {
				rehash = h
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		if user != nil && len(memberships) > 0 {
			// Recorded in the background: the answer must not take longer
			// for a known account than for an unknown one.
			bg := context.WithoutCancel(ctx)
			s.bg.Add(1)
			go func() {
				defer s.bg.Done()
				for _, m := range memberships {
					actor := &Principal{Kind: KindUser, User: user, TenantID: m.TenantID}
					if err := s.st.InTx(bg, m.TenantID, func(tx store.Tx) error {
						return s.audit(bg, tx, m.TenantID, actor, "auth.login_failed", "user", user.ID.String(), map[string]any{"reason": "wrong_password"}, meta.IP)
					}); err != nil {
						s.log.ErrorContext(bg, "audit login failure", "err", err)
					}
				}
			}()
		}
		s.log.InfoContext(ctx, "login failed", "ip", meta.IP, "known_account", user != nil)
		return nil, ErrInvalidCredentials
	}
	s.settleSignIn(ctx, keys)
	var tenantID uuid.UUID
	var role domain.Role
	if len(memberships) > 0 {
		tenantID, role = memberships[0].TenantID, memberships[0].Role
	}
	var res *SessionResult
	err = s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		if rehash != "" {
			if err := tx.UserUpdatePassword(ctx, user.ID, rehash); err != nil {
				return fmt.Errorf("rehash password: %w", err)
			}
		}
		var err error
		res, err = s.newSession(ctx, tx, user, tenantID, role, meta)
		if err != nil {
			return err
		}
		if tenantID != uuid.Nil {
			actor := &Principal{Kind: KindUser, User: user, TenantID: tenantID}
			return s.audit(ctx, tx, tenantID, actor, "auth.login", "session", res.Session.ID.String(), nil, meta.IP)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	return res, nil
}

// userWithMemberships finds a user by email with their memberships,
// newest workspace last.
func (s *Service) userWithMemberships(ctx context.Context, email string) (*domain.User, []domain.MembershipWithTenant, error) {
	var user *domain.User
	var ms []domain.MembershipWithTenant
	err := s.st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
		var err error
		if user, err = tx.UserGetByEmail(ctx, email); err != nil {
			return err
		}
		ms, err = tx.MembershipListByUser(ctx, user.ID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return user, ms, nil
}

// Logout revokes the principal's session.
func (s *Service) Logout(ctx context.Context, p *Principal, meta RequestMeta) error {
	if p == nil || p.Session == nil {
		return ErrUnauthenticated
	}
	err := s.st.InTx(ctx, p.TenantID, func(tx store.Tx) error {
		if err := tx.SessionRevoke(ctx, p.Session.ID, s.now().UTC()); err != nil {
			return fmt.Errorf("revoke session: %w", err)
		}
		if p.TenantID != uuid.Nil {
			return s.audit(ctx, tx, p.TenantID, p, "auth.logout", "session", p.Session.ID.String(), nil, meta.IP)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// LogoutEverywhere revokes every session of the principal's user and
// returns how many there were.
func (s *Service) LogoutEverywhere(ctx context.Context, p *Principal, meta RequestMeta) (int, error) {
	if p == nil || p.User == nil {
		return 0, ErrUnauthenticated
	}
	var n int
	err := s.st.InTx(ctx, p.TenantID, func(tx store.Tx) error {
		var err error
		if n, err = tx.SessionRevokeAllByUser(ctx, p.User.ID, s.now().UTC()); err != nil {
			return fmt.Errorf("revoke sessions: %w", err)
		}
		if p.TenantID != uuid.Nil {
			return s.audit(ctx, tx, p.TenantID, p, "auth.logout_all", "user", p.User.ID.String(), map[string]any{"sessions": n}, meta.IP)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("logout everywhere: %w", err)
	}
	return n, nil
}

// ResolveSession returns the principal of a session token: the user, the
// session, the active workspace and the user's role in it (read fresh, so
// a role change or removal takes effect on the next request). It returns
// ErrUnauthenticated for an unknown, revoked, expired or idle session.
func (s *Service) ResolveSession(ctx context.Context, token string) (*Principal, error) {
	if !wellFormedToken(token) {
		return nil, ErrUnauthenticated
	}
	now := s.now().UTC()
	p := &Principal{Kind: KindUser}
	var fallback bool
	err := s.st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
		sess, err := tx.SessionGetByTokenHash(ctx, HashToken(token), now)
		if err != nil {
			return err
		}
		if !equalHash(sess.TokenHash, HashToken(token)) || sess.RevokedAt != nil || !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > s.idle {
			return store.ErrNotFound
		}
		p.Session = sess
		if p.User, err = tx.UserGetByID(ctx, sess.UserID); err != nil {
			return err
		}
		if sess.ActiveTenantID != nil {
			m, err := tx.MembershipGet(ctx, *sess.ActiveTenantID, sess.UserID)
			switch {
			case err == nil:
				p.TenantID, p.Role = m.TenantID, m.Role
				return nil
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		// No active workspace, or the user was removed from it: fall back
		// to another membership, if any.
		ms, err := tx.MembershipListByUser(ctx, sess.UserID)
		if err != nil {
			return err
		}
		fallback = true
		if len(ms) > 0 {
			p.TenantID, p.Role = ms[0].TenantID, ms[0].Role
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("resolve session: %w", err)
	}
	touch := now.Sub(p.Session.LastSeenAt) >= touchInterval
	if fallback && (p.TenantID != uuid.Nil || p.Session.ActiveTenantID != nil) || touch {
		err := s.st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
			if fallback {
				var active *uuid.UUID
				if p.TenantID != uuid.Nil {
					active = &p.TenantID
				}
				if err := tx.SessionSetActiveTenant(ctx, p.Session.ID, active); err != nil {
					return err
				}
				p.Session.ActiveTenantID = active
			}
			if touch {
				if err := tx.SessionTouch(ctx, p.Session.ID, now); err != nil {
					return err
				}
				p.Session.LastSeenAt = now
			}
			return nil
		})
		if err != nil {
			// The request may go on: the session is valid.
			s.log.WarnContext(ctx, "touch session", "err", err)
		}
	}
	return p, nil
}

// ResolveAPIKey returns the principal of an API key "nf_<prefix>_<secret>",
// or ErrUnauthenticated when it is malformed, unknown, wrong or revoked.
func (s *Service) ResolveAPIKey(ctx context.Context, bearer string) (*Principal, error) {
	prefix, secret, ok := ParseAPIKey(bearer)
	if !ok {
		return nil, ErrUnauthenticated
	}
	var key *domain.APIKey
	var creatorRole domain.Role
	err := s.st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
		var err error
		if key, err = tx.APIKeyGetByPrefix(ctx, prefix); err != nil {
			return err
		}
		creatorRole, err = keyCreatorRole(ctx, tx, key)
		return err
	})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrUnauthenticated) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("resolve API key: %w", err)
	}
	if !equalHash(HashToken(secret), key.SecretHash) || key.RevokedAt != nil {
		return nil, ErrUnauthenticated
	}
	now := s.now().UTC()
	if key.LastUsedAt == nil || now.Sub(*key.LastUsedAt) >= touchInterval {
		if err := s.st.InTx(ctx, key.TenantID, func(tx store.Tx) error {
			return tx.APIKeyTouch(ctx, key.TenantID, key.ID, now)
		}); err != nil {
			s.log.WarnContext(ctx, "touch API key", "err", err)
		} else {
			key.LastUsedAt = &now
		}
	}
	return &Principal{Kind: KindAPIKey, TenantID: key.TenantID, APIKey: key, Scopes: key.Scopes, CreatorRole: creatorRole}, nil
}

// SwitchTenant makes tenantID the session's active workspace. A workspace
// the user is not a member of is store.ErrNotFound, like one that does not
// exist.
func (s *Service) SwitchTenant(ctx context.Context, p *Principal, tenantID uuid.UUID) (*Principal, error) {
	if p == nil || p.Session == nil {
		return nil, ErrUnauthenticated
	}
	var m *domain.Membership
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		var err error
		if m, err = tx.MembershipGet(ctx, tenantID, p.User.ID); err != nil {
			return err
		}
		return tx.SessionSetActiveTenant(ctx, p.Session.ID, &tenantID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, store.NotFoundf("workspace %s", tenantID)
	}
	if err != nil {
		return nil, fmt.Errorf("switch workspace: %w", err)
	}
	np := *p
	np.TenantID, np.Role = tenantID, m.Role
	sess := *p.Session
	sess.ActiveTenantID = &tenantID
	np.Session = &sess
	return &np, nil
}

// Me is what /auth/me shows.
type Me struct {
	User        *domain.User
	Memberships []domain.MembershipWithTenant
	// Active is the active membership, nil when the user has none.
	Active *domain.MembershipWithTenant
}

// Me returns the principal's user, memberships and active workspace.
func (s *Service) Me(ctx context.Context, p *Principal) (*Me, error) {
	if p == nil || p.User == nil {
		return nil, ErrUnauthenticated
	}
	me := &Me{User: p.User}
	err := s.st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
		var err error
		me.Memberships, err = tx.MembershipListByUser(ctx, p.User.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list memberships: %w", err)
	}
	for i := range me.Memberships {
		if me.Memberships[i].TenantID == p.TenantID {
			me.Active = &me.Memberships[i]
		}
	}
	return me, nil
}

// audit records an entry in tenantID's audit log within tx.
func (s *Service) audit(ctx context.Context, tx store.Tx, tenantID uuid.UUID, p *Principal, action, targetType, targetID string, data map[string]any, ip string) error {
	actorType, actorID := p.actor()
	var raw json.RawMessage
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("audit data: %w", err)
		}
		raw = b
	}
	if err := tx.AuditInsert(ctx, &store.AuditInsertParams{
		TenantID: tenantID, ActorType: actorType, ActorID: actorID, Action: action,
		TargetType: targetType, TargetID: targetID, Data: raw, IP: ip,
	}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
