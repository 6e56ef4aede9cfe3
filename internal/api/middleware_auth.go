package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "nextflow_session"

// MetaOwnAuthorization marks a public operation that reads the
// Authorization header itself (the webhook trigger's bearer mode): the
// middleware does not take it for an API key.
const MetaOwnAuthorization = "nextflow.ownAuthorization"

// MetaKeyCache marks an operation that confirms a cached API key in the
// transaction that acts for it (auth.ConfirmAPIKey; the events and Segment
// ingestion): the middleware may answer its key from the key cache
// (auth.Service.ResolveAPIKeyCached) instead of reading it per request.
const MetaKeyCache = "nextflow.keyCache"

// MetaCSRF marks a public operation that signs a browser in (sign-up,
// sign-in, accepting an invitation): a foreign Origin is refused there too.
const MetaCSRF = "nextflow.csrf"

// AccountsOptions configure the accounts routes and the authentication
// middleware.
type AccountsOptions struct {
	Service *auth.Service
	Logger  *slog.Logger
	// BaseURL is the public URL (NEXTFLOW_BASE_URL): an accepted Origin for
	// cookie-authenticated writes, and https there makes cookies Secure.
	BaseURL string
	// TrustProxy honours X-Forwarded-Proto and X-Forwarded-For (set it only
	// behind a reverse proxy that overwrites them).
	TrustProxy bool
}

// Accounts serves sign-up, sign-in, sessions, members, invitations, API
// keys and the audit log, and authenticates every other operation.
type Accounts struct {
	svc        *auth.Service
	log        *slog.Logger
	baseOrigin string
	baseHTTPS  bool
	trustProxy bool
}

// NewAccounts builds the accounts routes and middleware.
func NewAccounts(opts AccountsOptions) *Accounts {
	a := &Accounts{svc: opts.Service, log: opts.Logger, trustProxy: opts.TrustProxy}
	if a.log == nil {
		a.log = slog.Default()
	}
	if u, err := url.Parse(strings.TrimRight(opts.BaseURL, "/")); err == nil && u.Host != "" {
		a.baseOrigin = strings.ToLower(u.Scheme + "://" + u.Host)
		a.baseHTTPS = u.Scheme == "https"
	}
	return a
}

// Install adds the accounts operations and the authentication middleware
// to deps; call it before New(deps).
func (a *Accounts) Install(deps *Deps) {
	deps.Middleware = append([]func(huma.Context, func(huma.Context)){a.Middleware}, deps.Middleware...)
	deps.Hooks = append(deps.Hooks, a.Register)
	deps.Recheck = a.svc.Recheck
	deps.ResolveAPIKey = a.svc.ResolveAPIKeyCached
}

// Register registers the accounts operations on api.
func (a *Accounts) Register(api huma.API) {
	a.registerAuth(api)
	a.registerMembers(api)
	a.registerInvitations(api)
	a.registerAPIKeys(api)
	a.registerAudit(api)
	a.registerWorkspaces(api)
}

// requestInfo is what the middleware learns about the client.
type requestInfo struct {
	IP        string
	UserAgent string
	// Secure: the client reached us over TLS (cookies get Secure).
	Secure bool
	// Origin is the request's own origin, for links when no BaseURL is set.
	Origin string
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) requestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(requestInfo)
	return ri
}

func (ri requestInfo) meta() auth.RequestMeta {
	return auth.RequestMeta{IP: ri.IP, UserAgent: ri.UserAgent}
}

func (a *Accounts) requestInfo(ctx huma.Context) requestInfo {
	ri := requestInfo{UserAgent: ctx.Header("User-Agent"), IP: clientIP(ctx, a.trustProxy)}
	ri.Secure = ctx.TLS() != nil || a.baseHTTPS
	scheme := "http"
	if ctx.TLS() != nil {
		scheme = "https"
	}
	if a.trustProxy {
		if strings.EqualFold(ctx.Header("X-Forwarded-Proto"), "https") {
			ri.Secure, scheme = true, "https"
		}
	}
	ri.Origin = scheme + "://" + ctx.Host()
	return ri
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether a browser-sent Origin (or Referer) names this
// server: the request's Host, or the configured base URL.
func (a *Accounts) sameOrigin(ctx huma.Context) (present, ok bool) {
	raw := ctx.Header("Origin")
	if raw == "" {
		raw = ctx.Header("Referer")
	}
	if raw == "" {
		return false, false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return true, false // includes "Origin: null"
	}
	if strings.EqualFold(u.Host, ctx.Host()) {
		return true, true
	}
	return true, a.baseOrigin != "" && strings.EqualFold(u.Scheme+"://"+u.Host, a.baseOrigin)
}

func sessionCookieValue(ctx huma.Context) string {
	raw := ctx.Header("Cookie")
	if raw == "" {
		return ""
	}
	cookies, err := http.ParseCookie(raw)
	if err != nil {
		// One bad cookie of another app on the same host must not hide ours.
		for _, part := range strings.Split(raw, ";") {
			name, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			if name == SessionCookie {
				return val
			}
		}
		return ""
	}
	for _, c := range cookies {
		if c.Name == SessionCookie {
			return c.Value
		}
	}
	return ""
}

func metaBool(op *huma.Operation, key string) bool {
	if op == nil || op.Metadata == nil {
		return false
	}
	v, _ := op.Metadata[key].(bool)
	return v
}

func metaString(op *huma.Operation, key string) string {
	if op == nil || op.Metadata == nil {
		return ""
	}
	v, _ := op.Metadata[key].(string)
	return v
}

// Middleware authenticates every operation that is not public: an API key
// from "Authorization: Bearer nf_…", or the session cookie. Cookie writes
// must come from this server's origin (CSRF). The operation's declared
// permission (MetaPermission) is enforced; an operation that declares
// neither a permission nor MetaNoTenant is refused (fail closed). The
// caller is put in the context as an auth.Principal and an api.Caller.
func (a *Accounts) Middleware(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	ri := a.requestInfo(ctx)
	ctx = huma.WithValue(ctx, requestInfoKey{}, ri)
	public := metaBool(op, MetaPublic)

	authz := strings.TrimSpace(ctx.Header("Authorization"))
	if public && metaBool(op, MetaOwnAuthorization) {
		// The operation checks Authorization itself (a webhook's bearer
		// token); it is not a workspace API key.
		authz = ""
	}
	cookie := sessionCookieValue(ctx)
	bearer := false
	var keyCred string // the API key sent, if any
	var p *auth.Principal
	var err error
	switch {
	case authz != "":
		scheme, cred, _ := strings.Cut(authz, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			a.writeProblem(ctx, huma.Error401Unauthorized("unsupported Authorization scheme: use Bearer with a workspace API key"))
			return
		}
		bearer, keyCred = true, strings.TrimSpace(cred)
		if metaBool(op, MetaKeyCache) {
			p, err = a.svc.ResolveAPIKeyCached(ctx.Context(), keyCred)
		} else {
			p, err = a.svc.ResolveAPIKey(ctx.Context(), keyCred)
		}
	case cookie != "":
		p, err = a.svc.ResolveSession(ctx.Context(), cookie)
	}
	if errors.Is(err, store.ErrUnavailable) {
		a.log.WarnContext(ctx.Context(), "authenticate: database unavailable", "err", err, "request_id", RequestIDFrom(ctx.Context()))
		a.writeProblem(ctx, Unavailable())
		return
	}
	if err != nil && !errors.Is(err, auth.ErrUnauthenticated) {
		a.log.ErrorContext(ctx.Context(), "authenticate", "err", err, "request_id", RequestIDFrom(ctx.Context()))
		a.writeProblem(ctx, huma.Error500InternalServerError("internal error (request "+RequestIDFrom(ctx.Context())+")"))
		return
	}
	if bearer && p == nil {
		// A wrong key is an error even on public routes: the client meant
		// to authenticate.
		a.writeProblem(ctx, huma.Error401Unauthorized("invalid or revoked API key"))
		return
	}

	// CSRF: a write authenticated by the session cookie must come from our
	// own origin (Origin, else Referer; neither is refused). Requests with
	// an API key carry no ambient credential and need no check. Public
	// operations that create a session (MetaCSRF) refuse a foreign Origin
	// too (login CSRF), but allow none, for non-browser clients. Other
	// public operations (webhooks) take posts from anywhere.
	if !bearer && !isSafeMethod(ctx.Method()) {
		present, same := a.sameOrigin(ctx)
		refuse := false
		switch {
		case !public:
			refuse = cookie != "" && !same
		case metaBool(op, MetaCSRF):
			refuse = present && !same
		}
		if refuse {
			a.writeProblem(ctx, huma.Error403Forbidden("cross-site request refused: the Origin header must match this server"))
			return
		}
	}

	if p != nil {
		c := &Caller{TenantID: p.TenantID, UserID: p.UserID(), Role: p.Role, IP: ri.IP}
		if p.APIKey != nil {
			id := p.APIKey.ID
			c.APIKeyID = &id
		}
		ctx = huma.WithContext(ctx, auth.WithPrincipal(WithCaller(ctx.Context(), c), p))
	}
	if public {
		next(ctx)
		return
	}
	if p == nil {
		a.writeProblem(ctx, huma.Error401Unauthorized("authentication required: sign in or send a workspace API key"))
		return
	}
	perm := metaString(op, MetaPermission)
	switch {
	case perm != "":
		err := p.Require(perm)
		if err != nil && p.Cached {
			// The cache may hold a role since raised: read the key now.
			fresh, ferr := a.svc.ResolveAPIKey(ctx.Context(), keyCred)
			if ferr == nil {
				err = fresh.Require(perm)
			}
		}
		if err != nil {
			a.writeProblem(ctx, authzProblem(err))
			return
		}
	case !metaBool(op, MetaNoTenant):
		a.log.ErrorContext(ctx.Context(), "operation declares no permission; refused", "operation", op.OperationID)
		a.writeProblem(ctx, huma.Error403Forbidden("operation "+op.OperationID+" declares no permission"))
		return
	}
	next(ctx)
}

// mustPrincipal returns the request's principal or a 401 problem.
func mustPrincipal(ctx context.Context) (*auth.Principal, error) {
	p := auth.FromContext(ctx)
	if p == nil {
		return nil, huma.Error401Unauthorized("authentication required")
	}
	return p, nil
}

// mustUser returns the request's principal when it is a signed-in user.
func mustUser(ctx context.Context) (*auth.Principal, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if p.Kind != auth.KindUser || p.Session == nil {
		return nil, huma.Error403Forbidden("this operation needs a signed-in user, not an API key")
	}
	return p, nil
}

func authzProblem(err error) huma.StatusError {
	var pe *auth.PermissionError
	switch {
	case errors.As(err, &pe):
		return huma.Error403Forbidden(pe.Error(), &huma.ErrorDetail{Location: "permission", Message: "missing", Value: pe.Permission})
	case errors.Is(err, auth.ErrNoWorkspace):
		return huma.Error403Forbidden("no active workspace: accept an invitation or create a workspace first")
	default:
		return huma.Error401Unauthorized("authentication required")
	}
}

// writeProblem writes an RFC 9457 problem from the middleware (before any
// handler ran).
func (a *Accounts) writeProblem(ctx huma.Context, se huma.StatusError) {
	var he huma.HeadersError
	if errors.As(se, &he) {
		for k, vs := range he.GetHeaders() {
			for _, v := range vs {
				ctx.AppendHeader(k, v)
			}
		}
	}
	status := se.GetStatus()
	body, err := json.Marshal(se)
	if err != nil {
		body = []byte(`{"title":"` + http.StatusText(status) + `","status":` + strconv.Itoa(status) + `}`)
	}
	if status == http.StatusUnauthorized {
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="nextflow"`)
	}
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetHeader("Cache-Control", "no-store")
	ctx.SetStatus(status)
	_, _ = ctx.BodyWriter().Write(body)
}

// accountsProblem maps auth and store errors to problem details.
func (a *Accounts) accountsProblem(ctx context.Context, what string, err error) error {
	var ie *auth.InvalidInputError
	var te *auth.ThrottledError
	var pe *auth.PermissionError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
		return huma.Error422UnprocessableEntity(ie.Error(), &huma.ErrorDetail{Location: "body." + ie.Field, Message: ie.Message})
	case errors.As(err, &pe):
		return authzProblem(pe)
	case errors.As(err, &te):
		return huma.ErrorWithHeaders(huma.Error429TooManyRequests(te.Error()),
			http.Header{"Retry-After": {strconv.Itoa(te.RetryAfterSeconds)}})
	case errors.Is(err, auth.ErrInvalidCredentials):
		return huma.Error401Unauthorized(auth.ErrInvalidCredentials.Error())
	case errors.Is(err, auth.ErrUnauthenticated):
		return huma.Error401Unauthorized("authentication required")
	case errors.Is(err, auth.ErrNoWorkspace):
		return authzProblem(err)
	case errors.Is(err, auth.ErrLastOwner):
		return huma.Error409Conflict(auth.ErrLastOwner.Error())
	case errors.Is(err, auth.ErrEmailTaken):
		return huma.Error409Conflict(auth.ErrEmailTaken.Error(), &huma.ErrorDetail{Location: "body.email", Message: "taken"})
	case errors.Is(err, auth.ErrAlreadyMember):
		return huma.Error409Conflict(auth.ErrAlreadyMember.Error())
	case errors.Is(err, auth.ErrInvitationInvalid):
		return huma.Error404NotFound(auth.ErrInvitationInvalid.Error())
	}
	return Problem(ctx, a.log, what, err)
}
