package emailsend_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/email"
	"github.com/nextflow-dev/nextflow/internal/channel/email/smtptest"
	"github.com/nextflow-dev/nextflow/internal/channel/emailsend"
	"github.com/nextflow-dev/nextflow/internal/channel/unsubscribe"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/usage"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// connections serves one email connection pointing at the test server.
type connections struct {
	mu      sync.Mutex
	conn    emailsend.Connection
	failing string
}

func (c *connections) Get(_ context.Context, _ store.Tx, tenantID, id uuid.UUID) (*emailsend.Connection, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tenantID != c.conn.TenantID || (id != uuid.Nil && id != c.conn.ID) {
		return nil, emailsend.ErrNoConnection
	}
	conn := c.conn
	return &conn, nil
}

func (c *connections) MarkFailing(_ context.Context, _ store.Tx, _, _ uuid.UUID, message string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failing = message
	return nil
}

type harness struct {
	st     store.Store
	eng    *engine.Engine
	srv    *smtptest.Server
	tenant uuid.UUID
	unsub  *unsubscribe.Service
	conns  *connections
}

func setup(t *testing.T) *harness {
	t.Helper()
	return setupOn(t, "sqlite", nil)
}

// setupOn builds the harness on a dialect's store, with a message quota
// (nil: none).
func setupOn(t *testing.T, dialect string, quota func(context.Context, store.Tx, uuid.UUID, int) error) *harness {
	t.Helper()
	srv, err := smtptest.Start(smtptest.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	sender, err := email.NewSender(email.Options{Allow: []string{"127.0.0.1"}, Timeout: 5 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sender.Close() })
	key, err := secret.DeriveKey(bytes.Repeat([]byte{3}, 32), unsubscribe.Purpose)
	require.NoError(t, err)
	signer, err := unsubscribe.New(key)
	require.NoError(t, err)

	workers := river.NewWorkers()
	var st store.Store
	if dialect == "postgres" {
		st = storetest.Postgres(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	} else {
		st = storetest.SQLite(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	}
	h := &harness{st: st, srv: srv, unsub: unsubscribe.NewService(st, signer, nil)}
	ctx := context.Background()
	require.NoError(t, st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(ctx, &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], Plan: domain.PlanFree})
		h.tenant = tn.ID
		return err
	}))
	h.conns = &connections{conn: emailsend.Connection{ID: uuid.New(), TenantID: h.tenant, Config: email.Config{
		Host: srv.Host, Port: srv.Port, TLS: email.TLSNone, From: "Acme <hello@acme.test>"}}}
	fx, err := emailsend.New(emailsend.Options{Sender: sender, Connections: h.conns, Store: st, Signer: signer,
		BaseURL: "https://nextflow.test", MessageQuota: quota})
	require.NoError(t, err)
	h.eng = engine.New(st, engine.Options{SideEffects: []engine.SideEffect{fx}})
	h.eng.RegisterWorkers(workers)
	require.NoError(t, st.Queue().Start(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = st.Queue().Stop(ctx)
		h.eng.Close()
	})
	return h
}

// publish stores a journey: manual trigger → email.send (config) → end.
func (h *harness) publish(t *testing.T, config string) uuid.UUID {
	t.Helper()
	def := fmt.Sprintf(`{"nodes":[
	 {"id":"start","type":%q,"config":{},"position":{"x":0,"y":0}},
	 {"id":"mail","type":%q,"config":%s,"position":{"x":0,"y":100}},
	 {"id":"done","type":"end","config":{},"position":{"x":0,"y":200}}],
	 "edges":[{"id":"e1","source":"start","target":"mail"},{"id":"e2","source":"mail","target":"done"}]}`,
		workflow.TypeTriggerManual, workflow.TypeEmailSend, config)
	ctx := context.Background()
	wfID := domain.NewID()
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		if _, err := tx.WorkflowInsert(ctx, &store.WorkflowInsertParams{TenantID: h.tenant, ID: wfID, Name: "wf", Definition: json.RawMessage(def)}); err != nil {
			return err
		}
		v, err := tx.WorkflowVersionInsert(ctx, &store.WorkflowVersionInsertParams{TenantID: h.tenant, ID: domain.NewID(), WorkflowID: wfID, Version: 1, Definition: json.RawMessage(def)})
		if err != nil {
			return err
		}
		if _, err := tx.WorkflowSetCurrentVersion(ctx, h.tenant, wfID, v.ID, v.Version); err != nil {
			return err
		}
		_, err = tx.WorkflowSetActive(ctx, h.tenant, wfID, true)
		return err
	}))
	return wfID
}

func (h *harness) contact(t *testing.T, addr string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	var id uuid.UUID
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		c, _, err := tx.ContactUpsert(ctx, &store.ContactUpsertParams{TenantID: h.tenant, Email: &addr,
			Attributes: json.RawMessage(`{"first_name":"Ada <3"}`)})
		if err == nil {
			id = c.ID
		}
		return err
	}))
	return id
}

// run starts the journey for contact and waits for it to finish.
func (h *harness) run(t *testing.T, wfID, contactID uuid.UUID) (*domain.Execution, []domain.Step) {
	t.Helper()
	ctx := context.Background()
	exec, err := h.eng.Start(ctx, engine.StartParams{TenantID: h.tenant, WorkflowID: wfID, TriggerType: workflow.TypeTriggerManual,
		ContactID: &contactID})
	require.NoError(t, err)
	var steps []domain.Step
	require.Eventually(t, func() bool {
		require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
			var err error
			if exec, err = tx.ExecutionGetByID(ctx, h.tenant, exec.ID); err != nil {
				return err
			}
			steps, err = tx.StepListByExecution(ctx, h.tenant, exec.ID)
			return err
		}))
		return exec.Status.Terminal()
	}, 30*time.Second, 20*time.Millisecond)
	return exec, steps
}

func (h *harness) messages(t *testing.T, contactID uuid.UUID) []domain.Message {
	t.Helper()
	ctx := context.Background()
	var out []domain.Message
	require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
		var err error
		out, err = tx.MessageList(ctx, &store.MessageListParams{TenantID: h.tenant, ContactID: &contactID, Limit: 10})
		return err
	}))
	return out
}

func step(steps []domain.Step, node string) *domain.Step {
	for i := range steps {
		if steps[i].NodeID == node {
			return &steps[i]
		}
	}
	return nil
}

const inlineConfig = `{"subject":"Hi {{ contact.attributes.first_name }}","preheader":"News for {{ contact.attributes.first_name }}",
 "html":"<html><body><p>Hello {{ contact.attributes.first_name }}</p></body></html>","text":"Hello {{ contact.attributes.first_name }}"}`

func TestJourneySendsAndUnsubscribeLinkWorks(t *testing.T) {
	t.Parallel()
	h := setup(t)
	wf := h.publish(t, inlineConfig)
	ada := h.contact(t, "ada@example.test")

	exec, steps := h.run(t, wf, ada)
	require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
	require.EqualValues(t, 1, h.srv.Count())
	p, err := h.srv.Messages()[0].Parse()
	require.NoError(t, err)
	require.Equal(t, "Hi Ada <3", p.Header.Get("Subject"))
	text, ok := p.Part("text/plain")
	require.True(t, ok)
	require.Contains(t, text, "Hello Ada <3")
	html, ok := p.Part("text/html")
	require.True(t, ok)
	require.Contains(t, html, "Hello Ada &lt;3", "HTML is auto-escaped")
	require.Equal(t, "List-Unsubscribe=One-Click", p.Header.Get("List-Unsubscribe-Post"))

	msgs := h.messages(t, ada)
	require.Len(t, msgs, 1)
	require.Equal(t, domain.MessageSent, msgs[0].Status)
	require.NotNil(t, msgs[0].ProviderMessageID)
	require.Equal(t, p.Header.Get("Message-ID"), "<"+*msgs[0].ProviderMessageID+">")
	require.Equal(t, msgs[0].ID.String(), p.Header.Get(email.HeaderNextFlowMessageID))
	require.NotNil(t, step(steps, "mail"))

	// The link from the received header unsubscribes the contact.
	link := strings.Trim(strings.Split(p.Header.Get("List-Unsubscribe"), ",")[0], "<> ")
	require.True(t, strings.HasPrefix(link, "https://nextflow.test/u/"), link)
	token := strings.TrimPrefix(link, "https://nextflow.test/u/")
	res, err := h.unsub.Unsubscribe(context.Background(), token)
	require.NoError(t, err)
	require.False(t, res.Already)
	res, err = h.unsub.Unsubscribe(context.Background(), token)
	require.NoError(t, err)
	require.True(t, res.Already, "a second click changes nothing")
	_, err = h.unsub.Unsubscribe(context.Background(), token[:len(token)-2]+"AA")
	require.ErrorIs(t, err, unsubscribe.ErrInvalid)

	// The next send is skipped, with a skipped message.
	exec, steps = h.run(t, wf, ada)
	require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
	require.EqualValues(t, 1, h.srv.Count(), "nothing more was sent")
	var out map[string]any
	require.NoError(t, json.Unmarshal(step(steps, "mail").Output, &out))
	require.Equal(t, true, out["skipped"])
	require.Contains(t, out["reason"], "unsubscribed")
	msgs = h.messages(t, ada)
	require.Len(t, msgs, 2)
	require.Equal(t, domain.MessageSkipped, msgs[0].Status)
	require.Equal(t, emailsend.ReasonUnsubscribed, msgs[0].ErrorCode)
}

func TestHardBounceSuppressesAndFailsTheStep(t *testing.T) {
	t.Parallel()
	h := setup(t)
	wf := h.publish(t, inlineConfig)
	bob := h.contact(t, "bob@example.test")
	h.srv.Always("bob@example.test", smtptest.UserUnknown)

	exec, steps := h.run(t, wf, bob)
	require.Equal(t, domain.ExecutionFailed, exec.Status)
	require.Equal(t, domain.StepFailed, step(steps, "mail").Status)
	msgs := h.messages(t, bob)
	require.Len(t, msgs, 1)
	require.Equal(t, domain.MessageBounced, msgs[0].Status)
	require.Equal(t, "550 5.1.1", msgs[0].ErrorCode)
	require.Contains(t, msgs[0].ErrorText, "User unknown")
	ctx := context.Background()
	require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
		s, err := tx.SuppressionGet(ctx, h.tenant, domain.ChannelEmail, "bob@example.test")
		if err == nil {
			require.Equal(t, domain.SuppressionHardBounce, s.Reason)
		}
		return err
	}))

	// The suppressed address gets nothing more: skipped, no SMTP session.
	sessions := h.srv.Sessions()
	exec, _ = h.run(t, wf, bob)
	require.Equal(t, domain.ExecutionCompleted, exec.Status)
	require.Equal(t, sessions, h.srv.Sessions())
	require.Equal(t, domain.MessageSkipped, h.messages(t, bob)[0].Status)
}

func TestSoftBounceIsRetriedThenSent(t *testing.T) {
	t.Parallel()
	h := setup(t)
	wf := h.publish(t, inlineConfig)
	cy := h.contact(t, "cy@example.test")
	h.srv.Script("cy@example.test", smtptest.TryLater)

	exec, steps := h.run(t, wf, cy)
	require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
	require.EqualValues(t, 1, h.srv.Count())
	require.Equal(t, 2, step(steps, "mail").Attempt, "one retry")
	msgs := h.messages(t, cy)
	require.Len(t, msgs, 1)
	require.Equal(t, domain.MessageSent, msgs[0].Status)
}

func TestTemplateAndBrokenConnection(t *testing.T) {
	t.Parallel()
	h := setup(t)
	ctx := context.Background()
	tplID := domain.NewID()
	require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
		_, err := tx.MessageTemplateInsert(ctx, &store.MessageTemplateInsertParams{TenantID: h.tenant, ID: tplID,
			Channel: domain.ChannelEmail, Name: "welcome",
			Content: json.RawMessage(`{"subject":"Welcome {{ contact.email }}","html":"<p>From the template</p>","text":"From the template"}`)})
		return err
	}))
	wf := h.publish(t, fmt.Sprintf(`{"templateId":%q,"subject":"Overridden"}`, tplID))
	dee := h.contact(t, "dee@example.test")
	exec, _ := h.run(t, wf, dee)
	require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
	p, err := h.srv.Messages()[0].Parse()
	require.NoError(t, err)
	require.Equal(t, "Overridden", p.Header.Get("Subject"), "inline fields override the template")
	html, _ := p.Part("text/html")
	require.Contains(t, html, "From the template")

	// A server that wants STARTTLS the connection cannot do: failed, and
	// the connection is marked failing.
	h.conns.mu.Lock()
	h.conns.conn.Config.TLS = email.TLSMandatory
	h.conns.conn.ID = uuid.New() // a fresh connection, past Perform's cache
	h.conns.mu.Unlock()
	exec, _ = h.run(t, wf, dee)
	require.Equal(t, domain.ExecutionFailed, exec.Status)
	require.Equal(t, domain.MessageFailed, h.messages(t, dee)[0].Status)
	h.conns.mu.Lock()
	defer h.conns.mu.Unlock()
	require.Contains(t, h.conns.failing, "STARTTLS")
}

// A FREE workspace one message short of its monthly limit: the next send
// goes out, the one after is skipped with the plan's limit as the reason
// (a skipped message, no SMTP call) and the journey goes on to its end.
func TestMessagesStopAtThePlanLimit(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			var meter *usage.Meter
			h := setupOn(t, dialect, func(ctx context.Context, tx store.Tx, tenantID uuid.UUID, n int) error {
				return meter.Messages(ctx, tx, tenantID, n)
			})
			meter = usage.New(h.st, usage.Options{})
			ctx := context.Background()
			free, _ := plan.For(domain.PlanFree)
			require.NoError(t, h.st.InTx(ctx, h.tenant, func(tx store.Tx) error {
				return meter.Messages(ctx, tx, h.tenant, free.MessagesPerMonth-1)
			}))
			wf := h.publish(t, inlineConfig)
			ada := h.contact(t, "ada@example.test")

			exec, _ := h.run(t, wf, ada)
			require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
			require.EqualValues(t, 1, h.srv.Count())

			exec, steps := h.run(t, wf, ada)
			require.Equal(t, domain.ExecutionCompleted, exec.Status, exec.Error)
			require.EqualValues(t, 1, h.srv.Count(), "nothing more was sent")
			var out map[string]any
			require.NoError(t, json.Unmarshal(step(steps, "mail").Output, &out))
			require.Equal(t, true, out["skipped"])
			require.Equal(t, fmt.Sprintf("plan FREE limit messagesPerMonth is %d; %d used", free.MessagesPerMonth, free.MessagesPerMonth), out["reason"])
			require.NotNil(t, step(steps, "done"), "the journey goes on")
			msgs := h.messages(t, ada)
			require.Len(t, msgs, 2)
			var skipped *domain.Message
			for i := range msgs {
				if msgs[i].Status == domain.MessageSkipped {
					skipped = &msgs[i]
				}
			}
			require.NotNil(t, skipped)
			require.Equal(t, emailsend.ReasonPlanLimit, skipped.ErrorCode)

			var rep *usage.Report
			require.NoError(t, h.st.Read(ctx, h.tenant, func(tx store.Tx) error {
				var err error
				rep, err = meter.Report(ctx, tx, h.tenant)
				return err
			}))
			for _, it := range rep.Items {
				if it.Limit == plan.LimitMessagesPerMonth {
					require.EqualValues(t, free.MessagesPerMonth, it.Used, "the skipped message is not counted")
				}
			}
		})
	}
}
