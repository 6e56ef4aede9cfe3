package engine

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Errors of StartWebhook.
var (
	// ErrNotWebhook: the workflow does not exist, is not active, has no
	// published version, or its current version has no trigger.webhook.
	ErrNotWebhook = errors.New("no active workflow with a webhook trigger")
	// ErrWebhookUnauthorized: the request does not carry what the node's
	// auth mode asks for (see WebhookAuthError).
	ErrWebhookUnauthorized = errors.New("webhook request not authorized")
	// ErrWebhookBody: the body is neither empty nor a JSON object.
	ErrWebhookBody = errors.New("webhook body must be a JSON object")
)

// WebhookAuthError is a refused webhook request; it wraps
// ErrWebhookUnauthorized. Every reason (no secret, wrong signature, wrong
// token, unreadable credential) gives the same error for a given Mode, so
// a caller learns nothing about the secret.
type WebhookAuthError struct {
	// Mode is the node's auth mode (workflow.WebhookAuthSignature or
	// workflow.WebhookAuthBearer).
	Mode string
}

// Error implements error.
func (e *WebhookAuthError) Error() string {
	return fmt.Sprintf("%s (auth %s)", ErrWebhookUnauthorized, e.Mode)
}

// Unwrap makes errors.Is(err, ErrWebhookUnauthorized) hold.
func (e *WebhookAuthError) Unwrap() error { return ErrWebhookUnauthorized }

// Webhook response defaults.
const (
	// DefaultWebhookWait is how long a respond=on_completion request waits
	// when its node names no timeout.
	DefaultWebhookWait = 10 * time.Second
	// MaxWebhookWait caps a node's timeout.
	MaxWebhookWait = 5 * time.Minute
)

// WebhookStart is a request to a workflow's webhook URL.
type WebhookStart struct {
	TenantID   uuid.UUID
	WorkflowID uuid.UUID
	// Body is the raw request body: the signature is computed over it, and
	// it becomes trigger.input (empty: {}).
	Body []byte
	// Signature is the X-NextFlow-Signature header ("sha256=<hex>").
	Signature string
	// Authorization is the Authorization header ("Bearer <token>").
	Authorization string
}

// WebhookStarted is a started webhook execution and how its node wants
// the request answered.
type WebhookStarted struct {
	Execution *domain.Execution
	// Wait is how long the request should wait for the execution to end
	// (the node's respond=on_completion and timeout); zero answers at once.
	Wait time.Duration
}

// webhookConfig is what StartWebhook reads of a trigger.webhook config.
type webhookConfig struct {
	Respond          string `json:"respond"`
	Timeout          string `json:"timeout"`
	Auth             string `json:"auth"`
	SecretCredential string `json:"secretCredential"`
	// Secret is the plain secret of definitions from before credentials;
	// saving one is refused, but stored versions may still carry it.
	Secret string `json:"secret"`
}

// StartWebhook starts an execution of a workflow's current version through
// its trigger.webhook node, in one transaction: it resolves the version and
// the node from the cached graph, checks the request against the node's
// auth (none, an HMAC-SHA256 signature of the body, or a bearer token,
// the secret read from the node's credential through Options.Secrets) and
// starts that same version. A version published meanwhile is not started
// by this request, so a request is only ever checked against the secret of
// the version it starts.
//
// Concurrent webhook requests share transactions with each other and with
// other starts (the start group commit, see startbatch.go); each gets its
// own execution or error.
//
// Errors: ErrNotWebhook, ErrWebhookUnauthorized (a *WebhookAuthError),
// ErrWebhookBody, or what StartTx returns.
func (e *Engine) StartWebhook(ctx context.Context, w WebhookStart) (*WebhookStarted, error) {
	var wait time.Duration
	exec, err := e.startOne(ctx, w.TenantID, func(ctx context.Context, tx store.Tx, cache *startTxCache) (StartParams, error) {
		p, d, err := e.webhookStartParams(ctx, tx, w, cache)
		wait = d
		return p, err
	})
	if err != nil {
		return nil, err
	}
	return &WebhookStarted{Execution: exec, Wait: wait}, nil
}

// webhookStartParams checks a webhook request in tx and returns the start
// it asks for and how long the request waits for the execution's end.
// The workflow and the node's credential are read once per transaction
// (cache); the version is known from the workflow row and its graph is
// the engine's cached one, so a batch of webhook starts reads two rows at
// most before its inserts.
func (e *Engine) webhookStartParams(ctx context.Context, tx store.Tx, w WebhookStart, cache *startTxCache) (StartParams, time.Duration, error) {
	var none StartParams
	wf := cache.workflow(w.TenantID, w.WorkflowID)
	if wf == nil {
		var err error
		wf, err = tx.WorkflowGetStartInfo(ctx, w.TenantID, w.WorkflowID)
		if errors.Is(err, store.ErrNotFound) {
			return none, 0, fmt.Errorf("workflow %s: %w", w.WorkflowID, ErrNotWebhook)
		}
		if err != nil {
			return none, 0, fmt.Errorf("load workflow %s: %w", w.WorkflowID, err)
		}
		cache.putWorkflow(wf)
	}
	if wf.CurrentVersionID == nil || !wf.IsActive {
		return none, 0, fmt.Errorf("workflow %s is not active: %w", wf.ID, ErrNotWebhook)
	}
	versionID := *wf.CurrentVersionID
	g, err := e.graph(ctx, tx, w.TenantID, versionID)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, ErrBadDefinition) {
		return none, 0, fmt.Errorf("workflow %s: %w: %w", wf.ID, ErrNotWebhook, err)
	}
	if err != nil {
		return none, 0, err
	}
	hook := g.webhook()
	if hook == nil {
		return none, 0, fmt.Errorf("workflow %s version %d: %w", wf.ID, wf.CurrentVersion, ErrNotWebhook)
	}
	if err := e.checkWebhookAuth(ctx, tx, w, &hook.cfg, cache); err != nil {
		return none, 0, err
	}
	input := json.RawMessage(`{}`)
	if body := bytes.TrimSpace(w.Body); len(body) > 0 {
		// An object (or null, as json.Unmarshal into a map takes it),
		// checked without building it: the start decodes it once, into
		// trigger.input.
		if !json.Valid(body) || (body[0] != '{' && !bytes.Equal(body, []byte("null"))) {
			return none, 0, ErrWebhookBody
		}
		input = w.Body
	}
	if e.beforeWebhookStart != nil {
		e.beforeWebhookStart()
	}
	// The version's number comes with the workflow row, so the start need
	// not read the version row.
	cache.putVersion(&domain.WorkflowVersion{ID: versionID, TenantID: wf.TenantID, WorkflowID: wf.ID, Version: wf.CurrentVersion})
	// Pinned to the version checked: a second read of the workflow in this
	// transaction could see a version committed since.
	return StartParams{TenantID: w.TenantID, WorkflowID: wf.ID, VersionID: versionID,
		TriggerType: workflow.TypeTriggerWebhook, TriggerNodeID: hook.node.ID, Input: input}, hook.wait, nil
}

// webhookTrigger is a version's trigger.webhook node with its config
// decoded, kept with the version's cached graph.
type webhookTrigger struct {
	node *workflow.Node
	cfg  webhookConfig
	// wait is how long a request waits for the execution's end.
	wait time.Duration
}

// webhook returns g's first trigger.webhook node with its config decoded
// once per graph, or nil when g has none.
func (g *graph) webhook() *webhookTrigger {
	g.webhookOnce.Do(func() {
		node := g.firstOfType(workflow.TypeTriggerWebhook)
		if node == nil {
			return
		}
		t := &webhookTrigger{node: node}
		_ = json.Unmarshal(node.Config, &t.cfg) // a config that does not decode asks for nothing it can name
		t.wait = webhookWait(&t.cfg)
		g.webhookTrigger = t
	})
	return g.webhookTrigger
}

// webhookWait is how long a request to cfg's node waits for the end.
func webhookWait(cfg *webhookConfig) time.Duration {
	if cfg.Respond != "on_completion" {
		return 0
	}
	if d, err := workflow.ParseDuration(cfg.Timeout); err == nil && d > 0 {
		return min(d, MaxWebhookWait)
	}
	return DefaultWebhookWait
}

// TxSecretResolver is a SecretResolver that also opens a credential
// inside the caller's transaction (internal/credential implements it).
// StartWebhook uses it when Options.Secrets has it: the credential is then
// read in the start's own transaction, once per group-commit batch,
// instead of in a transaction of its own for every request.
type TxSecretResolver interface {
	SecretResolver
	// ResolveTx is Resolve reading the credential in tx.
	ResolveTx(ctx context.Context, tx store.Tx, tenantID uuid.UUID, name string) (string, error)
}

// webhookSecret opens a webhook node's credential, in tx when the
// resolver can, once per transaction (cache). ok is false when the
// credential cannot be read or opened (the request is refused); err is a
// failure of the transaction itself.
func (e *Engine) webhookSecret(ctx context.Context, tx store.Tx, w WebhookStart, name string, cache *startTxCache) (secret string, ok bool, err error) {
	if v, ok := cache.secrets[name]; ok {
		return v, true, nil
	}
	if txr, isTx := e.secrets.(TxSecretResolver); isTx {
		secret, err = txr.ResolveTx(ctx, tx, w.TenantID, name)
	} else {
		secret, err = e.secrets.Resolve(ctx, w.TenantID, name)
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return "", false, ctxErr // the transaction's end, not the credential's
		}
		e.log.WarnContext(ctx, "webhook credential cannot be read", "workflow", w.WorkflowID, "credential", name, "err", err)
		return "", false, nil
	}
	cache.secrets[name] = secret
	return secret, true, nil
}

// checkWebhookAuth checks a webhook request against its node's auth mode,
// with the secret from the node's credential, in constant time.
func (e *Engine) checkWebhookAuth(ctx context.Context, tx store.Tx, w WebhookStart, cfg *webhookConfig, cache *startTxCache) error {
	mode := workflow.WebhookAuthMode(cfg.Auth, cfg.SecretCredential)
	if cfg.Secret != "" && cfg.SecretCredential == "" && cfg.Auth == "" {
		mode = workflow.WebhookAuthSignature // a definition from before credentials
	}
	if mode == workflow.WebhookAuthNone {
		return nil
	}
	refused := &WebhookAuthError{Mode: mode}
	secret := cfg.Secret
	if cfg.SecretCredential != "" {
		if e.secrets == nil {
			e.log.ErrorContext(ctx, "webhook names a credential but credentials are not configured", "workflow", w.WorkflowID)
			return refused
		}
		v, ok, err := e.webhookSecret(ctx, tx, w, cfg.SecretCredential, cache)
		if err != nil {
			return err
		}
		if !ok {
			return refused
		}
		secret = v
	}
	if secret == "" {
		return refused
	}
	switch mode {
	case workflow.WebhookAuthSignature:
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(w.Body)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(strings.TrimSpace(w.Signature))) {
			return refused
		}
	case workflow.WebhookAuthBearer:
		scheme, token, _ := strings.Cut(strings.TrimSpace(w.Authorization), " ")
		// Compare digests: equal lengths, so the time says nothing of the
		// secret's length either.
		got, want := sha256.Sum256([]byte(strings.TrimSpace(token))), sha256.Sum256([]byte(secret))
		if !strings.EqualFold(scheme, "Bearer") || !hmac.Equal(got[:], want[:]) {
			return refused
		}
	default:
		return refused
	}
	return nil
}

// ContextViewJSON is ContextView with each part (trigger, contact, steps,
// vars) kept as the JSON it is stored as, an empty object for a part left
// out, for an answer that only encodes the view (the webhook's answer on
// completion): it builds no map of the parts' contents, which decoding
// and encoding again cost about as much as the rest of the answer.
func ContextViewJSON(raw json.RawMessage) (map[string]any, error) {
	var parts struct {
		Trigger json.RawMessage `json:"trigger"`
		Contact json.RawMessage `json:"contact"`
		Steps   json.RawMessage `json:"steps"`
		Vars    json.RawMessage `json:"vars"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &parts); err != nil {
			return nil, fmt.Errorf("decode execution context: %w", err)
		}
	}
	part := func(v json.RawMessage) json.RawMessage {
		if len(v) == 0 || bytes.Equal(v, []byte("null")) {
			return json.RawMessage(`{}`)
		}
		return v
	}
	return map[string]any{"trigger": part(parts.Trigger), "contact": part(parts.Contact),
		"steps": part(parts.Steps), "vars": part(parts.Vars)}, nil
}
