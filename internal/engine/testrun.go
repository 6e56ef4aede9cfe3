package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// Test runs (#16 item 3): the builder runs a workflow's draft as a real,
// durable execution marked as a test. What makes it safe lives here and is
// kept in the execution's context ($engine.test), so every transaction
// that advances it knows, without another read:
//
//   - delays complete at once and wait_for_event times out at once when
//     SkipDelays is set (the step still records when it would have been
//     due);
//   - a send (email, WhatsApp, Messenger) goes out only to a recipient on
//     the allow-list, an http.request only with AllowHTTP, any other side
//     effect (AI) only with AllowAI; anything else is a completed step
//     marked skipped with a reason that starts with "test run:";
//   - set_attribute does not write the stored contact: the context's
//     contact shows the values, and the stored contact is not read again
//     (it is the snapshot the run started with).

// TestOptions are a test run's safety options.
type TestOptions struct {
	// SkipDelays completes delays at once and times wait_for_event out at
	// once (it takes its timeout handle).
	SkipDelays bool `json:"skipDelays,omitempty"`
	// Recipients are the send recipients allowed: email addresses
	// (compared without case), phone numbers (E.164) and Messenger PSIDs.
	Recipients []string `json:"recipients,omitempty"`
	// AllowHTTP lets http.request steps make their calls.
	AllowHTTP bool `json:"allowHttp,omitempty"`
	// AllowAI lets AI steps (and any other side effect that sends nothing
	// to a person) make their calls.
	AllowAI bool `json:"allowAi,omitempty"`
}

// MaxTestRecipients bounds a test run's allow-list.
const MaxTestRecipients = 20

// TestSkipPrefix starts the reason of every step a test run skipped.
const TestSkipPrefix = "test run: "

// Normalize checks the options and returns them with recipients trimmed,
// lowercased where they are emails and deduplicated.
func (o TestOptions) Normalize() (TestOptions, error) {
	if len(o.Recipients) > MaxTestRecipients {
		return o, fmt.Errorf("recipients: at most %d", MaxTestRecipients)
	}
	out := o
	out.Recipients = nil
	for i, r := range o.Recipients {
		r = normalizeRecipient(r)
		if r == "" {
			return o, fmt.Errorf("recipients[%d]: empty", i)
		}
		if len(r) > 320 {
			return o, fmt.Errorf("recipients[%d]: longer than 320 characters", i)
		}
		if !slices.Contains(out.Recipients, r) {
			out.Recipients = append(out.Recipients, r)
		}
	}
	return out, nil
}

// normalizeRecipient is the comparable form of an address: a bare
// lowercased email, a phone number without spaces, dashes or brackets, or
// a PSID as it is.
func normalizeRecipient(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "@") {
		if a, err := mail.ParseAddress(s); err == nil {
			return strings.ToLower(a.Address)
		}
		return strings.ToLower(s)
	}
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "00") {
		s = strings.Map(func(r rune) rune {
			if r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' {
				return -1
			}
			return r
		}, s)
		if strings.HasPrefix(s, "00") {
			s = "+" + s[2:]
		}
	}
	return s
}

// StartTestTx starts a test run of the version p names (the draft's test
// snapshot) inside the caller's transaction, and marks it as a test. p
// needs VersionID; its idempotency key is ignored.
func (e *Engine) StartTestTx(ctx context.Context, tx store.Tx, p StartParams, opts TestOptions) (*domain.Execution, error) {
	if p.VersionID == uuid.Nil {
		return nil, errors.New("start test run: no version")
	}
	opts, err := opts.Normalize()
	if err != nil {
		return nil, fmt.Errorf("start test run: %w", err)
	}
	p.Test, p.IdempotencyKey, p.testRun = true, "", &opts
	exec, err := e.StartTx(ctx, tx, p)
	if err != nil {
		return nil, err
	}
	if err := tx.ExecutionMarkTest(ctx, p.TenantID, exec.ID); err != nil {
		return nil, fmt.Errorf("start test run: %w", err)
	}
	exec.Test = true
	return exec, nil
}

// testDue is when a delay due at due ends: at once in a test run that
// skips delays.
func (r *run) testDue(due time.Time) (time.Time, bool) {
	if t := r.c.Engine.Test; t != nil && t.SkipDelays && due.After(r.now) {
		return r.now, true
	}
	return due, false
}

// testRefusal is the Skip error of a side effect this test run does not
// allow, nil when it may go on (or the run is no test).
func (r *run) testRefusal(ctx context.Context, n *workflow.Node) error {
	t := r.c.Engine.Test
	if t == nil {
		return nil
	}
	switch n.Type {
	case workflow.TypeEmailSend, workflow.TypeWhatsAppSend, workflow.TypeMessengerSend:
		to, err := r.e.testRecipient(ctx, n, r.c)
		if err != nil {
			return Skip(TestSkipPrefix+"the recipient could not be worked out: "+err.Error(), nil)
		}
		if to == "" {
			return Skip(TestSkipPrefix+"the step has no recipient", nil)
		}
		if !slices.Contains(t.Recipients, to) {
			out, _ := json.Marshal(map[string]string{"to": to})
			return Skip(TestSkipPrefix+to+" is not on the test run's recipient allow-list", out)
		}
		return nil
	case workflow.TypeHTTPRequest:
		if !t.AllowHTTP {
			return Skip(TestSkipPrefix+"HTTP requests are not allowed in this test run", nil)
		}
		return nil
	}
	if !t.AllowAI {
		return Skip(TestSkipPrefix+n.Type+" steps are not allowed in this test run", nil)
	}
	return nil
}

// testRecipient renders the recipient a send node would use, the way the
// channel does: the node's "to" template, else the contact's email, phone
// or Messenger PSID.
func (e *Engine) testRecipient(ctx context.Context, n *workflow.Node, c *execContext) (string, error) {
	var cfg struct {
		To string `json:"to"`
	}
	if err := decodeConfig(n, &cfg); err != nil {
		return "", err
	}
	src := strings.TrimSpace(cfg.To)
	switch n.Type {
	case workflow.TypeMessengerSend:
		psid, _ := c.Contact["messengerPsid"].(string)
		return strings.TrimSpace(psid), nil
	case workflow.TypeWhatsAppSend:
		if src == "" {
			src = "{{ contact.phone }}"
		}
	default:
		if src == "" {
			src = "{{ contact.email }}"
		}
	}
	out := src
	if strings.Contains(src, "{{") || strings.Contains(src, "{%") {
		var err error
		if out, err = e.tmpl.Render(e.tmpl.WithBudget(ctx), src, c.templateData()); err != nil {
			return "", err
		}
	}
	return normalizeRecipient(strings.Join(strings.Fields(out), " ")), nil
}

// StepPreview is "run this step": one node's rendered input and output
// against a sample context, with nothing sent and nothing written.
type StepPreview struct {
	NodeID string `json:"nodeId"`
	Type   string `json:"type"`
	// Input is what the node starts from: the rendered request of a side
	// effect (the message a send would send), the delay's due time, the
	// wait's event and correlation.
	Input any `json:"input,omitempty"`
	// Output is what a pure node produces (a condition's result, a split's
	// variant, the attributes set); empty for a side effect, which is not
	// performed.
	Output any `json:"output,omitempty"`
	// Handle is the out handle the node would leave by.
	Handle string `json:"handle,omitempty"`
	// Skipped is the reason a side effect would make no call (the
	// contact unsubscribed, a closed window); empty otherwise.
	Skipped string `json:"skipped,omitempty"`
	// Error is why the node would fail.
	Error string `json:"error,omitempty"`
	// Context is the context the node was evaluated against.
	Context map[string]any `json:"context"`
}

// PreviewParams is the sample context a step preview runs against.
type PreviewParams struct {
	TenantID   uuid.UUID
	WorkflowID uuid.UUID
	// Definition is the draft the node is taken from.
	Definition json.RawMessage
	NodeID     string
	// TriggerNodeID picks the trigger the sample starts at (empty: the
	// first); TriggerType, when set, names its type instead.
	TriggerNodeID string
	// TriggerType, Input, Event, ContactID and Contact build the context
	// as a start would (StartParams).
	TriggerType string
	Input       json.RawMessage
	Event       json.RawMessage
	ContactID   *uuid.UUID
	Contact     map[string]any
	// Steps are earlier steps' outputs (steps.<node>.output), e.g. from the
	// last test run.
	Steps map[string]any
	// Vars are the execution's variables so far.
	Vars map[string]any
}

// errPreviewRollback ends the preview's transaction without a commit.
var errPreviewRollback = errors.New("step preview: roll back")

// PreviewStep evaluates one node of a draft against a sample context:
// templates rendered, expressions evaluated, a side effect's request built
// by its own Prepare (the message a send would send) in a transaction
// that is rolled back. Nothing is sent and nothing is written. A node the
// draft does not have is store.ErrNotFound; a draft that cannot be parsed
// wraps ErrBadDefinition.
func (e *Engine) PreviewStep(ctx context.Context, p PreviewParams) (*StepPreview, error) {
	g, err := newGraph(uuid.Nil, p.Definition)
	if err != nil {
		return nil, err
	}
	n := g.nodes[p.NodeID]
	if n == nil {
		return nil, store.NotFoundf("node %q in the draft", p.NodeID)
	}
	var out *StepPreview
	err = e.store.InTx(ctx, p.TenantID, func(tx store.Tx) error {
		var err error
		out, err = e.previewTx(ctx, tx, g, n, p)
		if err != nil {
			return err
		}
		return errPreviewRollback
	})
	if err != nil && !errors.Is(err, errPreviewRollback) {
		return nil, err
	}
	return out, nil
}

func (e *Engine) previewTx(ctx context.Context, tx store.Tx, g *graph, n *workflow.Node, p PreviewParams) (*StepPreview, error) {
	triggerType := p.TriggerType
	if triggerType == "" {
		if t, err := g.trigger(p.TriggerNodeID, ""); err == nil {
			triggerType = t.Type
		}
	}
	c := &execContext{Trigger: map[string]any{"type": triggerType}, Steps: map[string]any{}, Vars: map[string]any{}}
	for k, v := range p.Steps {
		c.Steps[k] = v
	}
	for k, v := range p.Vars {
		c.Vars[k] = v
	}
	var err error
	if c.Contact, err = startContact(ctx, tx, p.TenantID, p.ContactID, p.Contact); err != nil {
		return nil, err
	}
	if c.Contact == nil {
		c.Contact = map[string]any{}
	}
	if p.ContactID != nil {
		if _, ok := c.Contact["id"]; !ok {
			c.Contact["id"] = p.ContactID.String()
		}
	}
	if v, err := toJSONValue(p.Input); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	} else if v != nil {
		c.Trigger["input"] = v
	} else if triggerType == workflow.TypeTriggerManual || triggerType == workflow.TypeTriggerWebhook {
		c.Trigger["input"] = map[string]any{}
	}
	if v, err := toJSONValue(p.Event); err != nil {
		return nil, fmt.Errorf("event: %w", err)
	} else if v != nil {
		c.Trigger["event"] = v
	}
	c.Execution = map[string]any{"id": uuid.Nil.String(), "workflowId": p.WorkflowID.String(), "version": float64(0)}
	now := e.now().UTC()
	out := &StepPreview{NodeID: n.ID, Type: n.Type}
	cat, ok := e.category(n.Type)
	switch {
	case !ok:
		out.Error = fmt.Sprintf("unknown node type %q", n.Type)
	case cat == catPure:
		res, nerr := e.runPure(ctx, n, e.prepare(n), c, uuid.Nil)
		if nerr != nil {
			out.Error = nerr.msg
		} else {
			out.Output, out.Handle = res.output, res.handle
		}
	case cat == catEnd:
		var cfg workflow.EndConfig
		_ = decodeConfig(n, &cfg)
		out.Output = cfg
	case cat == catDelay:
		due, nerr := dueAt(n, c, now)
		if nerr != nil {
			out.Error = nerr.msg
		} else {
			out.Input = map[string]any{"until": due, "in": due.Sub(now).Round(time.Second).String()}
		}
	case cat == catWait:
		var cfg waitConfig
		if err := decodeConfig(n, &cfg); err != nil {
			out.Error = err.Error()
			break
		}
		in := map[string]any{"event": cfg.Event}
		if cfg.CorrelationKey != "" {
			in["correlationKey"] = cfg.CorrelationKey
			in["correlationValue"] = correlationValue(c, cfg.CorrelationKey)
		}
		if cfg.Timeout != "" {
			in["timeout"] = cfg.Timeout
		}
		out.Input = in
	case cat == catEffect:
		req, err := e.effects[n.Type].Prepare(e.tmpl.WithBudget(ctx), PrepareInput{
			TenantID: p.TenantID, ExecutionID: uuid.Nil, NodeID: n.ID, Config: n.Config, Data: c.templateData(), Tx: tx,
		})
		var skip *skipError
		switch {
		case errors.As(err, &skip):
			out.Skipped = skip.reason
			if len(skip.output) > 0 {
				out.Input = json.RawMessage(skip.output)
			}
		case errors.Is(err, store.ErrUnavailable) || ctx.Err() != nil:
			return nil, fmt.Errorf("preview node %s: %w", n.ID, err)
		case err != nil:
			out.Error = err.Error()
		default:
			out.Input = stepInput(e.effects[n.Type], req)
		}
	}
	out.Context = map[string]any{"trigger": c.Trigger, "contact": c.Contact, "steps": c.Steps, "vars": c.Vars}
	return out, nil
}

// testMergeAttributes shows what a set_attribute node of a test run would
// write in the context's contact (its attributes), without storing it.
func testMergeAttributes(contact map[string]any, output any) {
	set, _ := output.(map[string]any)
	if contact == nil || len(set) == 0 {
		return
	}
	attrs, _ := contact["attributes"].(map[string]any)
	if attrs == nil {
		attrs = map[string]any{}
	}
	for k, v := range set {
		attrs[k] = v
	}
	contact["attributes"] = attrs
}
