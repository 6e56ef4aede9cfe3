package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
)

// UserDTO is a user as the API shows it.
type UserDTO struct {
	ID        uuid.UUID `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

func userDTO(u *domain.User) UserDTO {
	return UserDTO{ID: u.ID, Email: u.Email, Name: u.Name, CreatedAt: u.CreatedAt}
}

// TenantDTO is a workspace.
type TenantDTO struct {
	ID   uuid.UUID   `json:"id"`
	Name string      `json:"name"`
	Slug string      `json:"slug"`
	Plan domain.Plan `json:"plan" enum:"FREE,PRO,BIZ"`
}

func tenantDTO(t *domain.Tenant) TenantDTO {
	return TenantDTO{ID: t.ID, Name: t.Name, Slug: t.Slug, Plan: t.Plan}
}

// MembershipDTO is one workspace of the user with their role in it.
type MembershipDTO struct {
	Tenant   TenantDTO   `json:"tenant"`
	Role     domain.Role `json:"role" enum:"OWNER,ADMIN,OPERATOR,VIEWER"`
	JoinedAt time.Time   `json:"joinedAt"`
}

// MeDTO is the signed-in user with every membership and the active one.
type MeDTO struct {
	User         UserDTO         `json:"user"`
	Memberships  []MembershipDTO `json:"memberships"`
	ActiveTenant *TenantDTO      `json:"activeTenant,omitempty" doc:"Absent when the user belongs to no workspace"`
	Role         domain.Role     `json:"role,omitempty" doc:"The user's role in the active workspace"`
	Permissions  []string        `json:"permissions" doc:"What the role allows in the active workspace"`
}

// MeOutput is the signed-in user with their workspaces, never cached;
// sign-in and sign-up also set the session cookie.
type MeOutput struct {
	SetCookie    []http.Cookie `header:"Set-Cookie"`
	CacheControl string        `header:"Cache-Control"`
	Body         *MeDTO
}

func (a *Accounts) meOutput(ctx context.Context, p *auth.Principal) (*MeOutput, error) {
	me, err := a.svc.Me(ctx, p)
	if err != nil {
		return nil, a.accountsProblem(ctx, "user", err)
	}
	dto := &MeDTO{User: userDTO(me.User), Memberships: []MembershipDTO{}, Permissions: []string{}}
	for _, m := range me.Memberships {
		dto.Memberships = append(dto.Memberships, MembershipDTO{Tenant: tenantDTO(&m.Tenant), Role: m.Role, JoinedAt: m.CreatedAt})
	}
	if me.Active != nil {
		t := tenantDTO(&me.Active.Tenant)
		dto.ActiveTenant, dto.Role = &t, me.Active.Role
		dto.Permissions = auth.RolePermissions(me.Active.Role)
	}
	return &MeOutput{CacheControl: "no-store", Body: dto}, nil
}

// sessionCookie is the cookie carrying a new session token.
func sessionCookie(token string, expires time.Time, secure bool) http.Cookie {
	return http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", Expires: expires.UTC(),
		MaxAge: int(time.Until(expires).Seconds()), HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}
}

// clearedCookie deletes the session cookie.
func clearedCookie(secure bool) http.Cookie {
	return http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}

// principalOf builds the principal of a just-created session.
func principalOf(res *auth.SessionResult) *auth.Principal {
	return &auth.Principal{Kind: auth.KindUser, User: res.User, Session: res.Session, TenantID: res.TenantID, Role: res.Role}
}

// SignupDTO is a new account and its first workspace.
type SignupDTO struct {
	Email         string `json:"email" format:"email" maxLength:"254"`
	Password      string `json:"password" minLength:"10" maxLength:"256" doc:"10 to 256 characters, not only whitespace and not easy to guess (zxcvbn score 2 or more)"`
	Name          string `json:"name" minLength:"1" maxLength:"200"`
	WorkspaceName string `json:"workspaceName" minLength:"1" maxLength:"200"`
}

// SignupInput carries a new account and its first workspace.
type SignupInput struct {
	Body SignupDTO
}

// LoginDTO is an email and password.
type LoginDTO struct {
	Email    string `json:"email" maxLength:"254"`
	Password string `json:"password" maxLength:"256"`
}

// LoginInput carries an email and password.
type LoginInput struct {
	Body LoginDTO
}

// SwitchTenantDTO names the workspace to make active.
type SwitchTenantDTO struct {
	TenantID uuid.UUID `json:"tenantId" doc:"A workspace the user is a member of"`
}

// SwitchTenantInput names the workspace to make active.
type SwitchTenantInput struct {
	Body SwitchTenantDTO
}

// LogoutDTO counts the sessions a sign-out ended.
type LogoutDTO struct {
	Revoked int `json:"revoked" doc:"Sessions ended"`
}

// LogoutOutput clears the session cookie and counts the sessions ended.
type LogoutOutput struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
	Body      LogoutDTO
}

// passwordProblem maps the errors of operations that check or hash a
// password: a saturated hashing gate (auth.BusyError) is 503 with
// Retry-After; the rest as accountsProblem maps them.
func (a *Accounts) passwordProblem(ctx context.Context, what string, err error) error {
	var be *auth.BusyError
	if errors.As(err, &be) {
		// auth logs a summary of shed requests; one line each would flood
		// the log in the very burst that sheds them.
		a.log.DebugContext(ctx, "password hashing saturated, request shed", "what", what, "request_id", RequestIDFrom(ctx))
		return huma.ErrorWithHeaders(huma.Error503ServiceUnavailable(auth.ErrBusy.Error()),
			http.Header{"Retry-After": {strconv.Itoa(be.RetryAfterSeconds)}})
	}
	return a.accountsProblem(ctx, what, err)
}

func (a *Accounts) registerAuth(api huma.API) {
	public := map[string]any{MetaPublic: true, MetaCSRF: true}
	self := map[string]any{MetaNoTenant: true}
	tags := []string{"auth"}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}

	huma.Register(api, huma.Operation{
		OperationID: "signup", Method: http.MethodPost, Path: Prefix + "/auth/signup",
		Summary: "Create an account and its first workspace, and sign in", Tags: tags,
		DefaultStatus: http.StatusCreated, Security: []map[string][]string{}, Metadata: public,
		Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *SignupInput) (*MeOutput, error) {
		ri := requestInfoFrom(ctx)
		res, err := a.svc.Signup(ctx, auth.SignupInput{
			Email: in.Body.Email, Password: in.Body.Password, Name: in.Body.Name, WorkspaceName: in.Body.WorkspaceName,
		}, ri.meta())
		if err != nil {
			return nil, a.passwordProblem(ctx, "account", err)
		}
		out, err := a.meOutput(ctx, principalOf(res))
		if err != nil {
			return nil, err
		}
		out.SetCookie = []http.Cookie{sessionCookie(res.Token, res.Session.ExpiresAt, ri.Secure)}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "login", Method: http.MethodPost, Path: Prefix + "/auth/login",
		Summary: "Sign in with email and password", Tags: tags,
		Security: []map[string][]string{}, Metadata: public,
		Errors: []int{http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *LoginInput) (*MeOutput, error) {
		ri := requestInfoFrom(ctx)
		res, err := a.svc.Login(ctx, in.Body.Email, in.Body.Password, ri.meta())
		if err != nil {
			return nil, a.passwordProblem(ctx, "account", err)
		}
		out, err := a.meOutput(ctx, principalOf(res))
		if err != nil {
			return nil, err
		}
		out.SetCookie = []http.Cookie{sessionCookie(res.Token, res.Session.ExpiresAt, ri.Secure)}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "logout", Method: http.MethodPost, Path: Prefix + "/auth/logout",
		Summary: "Sign out of this session", Tags: tags, Metadata: self, Errors: errs,
	}, func(ctx context.Context, _ *NoInput) (*LogoutOutput, error) {
		p, err := mustUser(ctx)
		if err != nil {
			return nil, err
		}
		ri := requestInfoFrom(ctx)
		if err := a.svc.Logout(ctx, p, ri.meta()); err != nil {
			return nil, a.accountsProblem(ctx, "session", err)
		}
		out := &LogoutOutput{SetCookie: []http.Cookie{clearedCookie(ri.Secure)}}
		out.Body.Revoked = 1
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "logout-all", Method: http.MethodPost, Path: Prefix + "/auth/logout-all",
		Summary: "Sign out of every session of this user", Tags: tags, Metadata: self, Errors: errs,
	}, func(ctx context.Context, _ *NoInput) (*LogoutOutput, error) {
		p, err := mustUser(ctx)
		if err != nil {
			return nil, err
		}
		ri := requestInfoFrom(ctx)
		n, err := a.svc.LogoutEverywhere(ctx, p, ri.meta())
		if err != nil {
			return nil, a.accountsProblem(ctx, "session", err)
		}
		out := &LogoutOutput{SetCookie: []http.Cookie{clearedCookie(ri.Secure)}}
		out.Body.Revoked = n
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-me", Method: http.MethodGet, Path: Prefix + "/auth/me",
		Summary: "The signed-in user, their workspaces and the active one", Tags: tags, Metadata: self, Errors: errs,
	}, func(ctx context.Context, _ *NoInput) (*MeOutput, error) {
		p, err := mustUser(ctx)
		if err != nil {
			return nil, err
		}
		return a.meOutput(ctx, p)
	})

	huma.Register(api, huma.Operation{
		OperationID: "switch-tenant", Method: http.MethodPost, Path: Prefix + "/auth/switch-tenant",
		Summary: "Make another of the user's workspaces the active one", Tags: tags, Metadata: self,
		Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound},
	}, func(ctx context.Context, in *SwitchTenantInput) (*MeOutput, error) {
		p, err := mustUser(ctx)
		if err != nil {
			return nil, err
		}
		np, err := a.svc.SwitchTenant(ctx, p, in.Body.TenantID)
		if err != nil {
			return nil, a.accountsProblem(ctx, "workspace", err)
		}
		return a.meOutput(ctx, np)
	})
}
