package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
	"github.com/nextflow-dev/nextflow/internal/store"
)

type sendHarness struct {
	sender *whatsapp.Sender
	fake   *metafake.Server
	rc     *receiver
	tx     *memTx
	conns  *staticConnections
	tenant uuid.UUID
	now    time.Time
}

func newSendHarness(t *testing.T, limiter ratelimit.Limiter, opts ...func(*whatsapp.SenderOptions)) *sendHarness {
	t.Helper()
	c, fake, rc := setup(t, metafake.Options{})
	h := &sendHarness{fake: fake, rc: rc, tx: newMemTx(), tenant: uuid.New(),
		now: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)}
	h.conns = &staticConnections{conn: whatsapp.Connection{ID: uuid.New(), TenantID: h.tenant, PhoneNumberID: phoneID,
		AccessToken: token, AppSecret: "app-secret", VerifyToken: "verify", MessagesPerSecond: 2}}
	so := whatsapp.SenderOptions{Client: c, Connections: h.conns, Store: &memStore{tx: h.tx},
		Limiter: limiter, Now: func() time.Time { return h.now }}
	for _, o := range opts {
		o(&so)
	}
	var err error
	h.sender, err = whatsapp.NewSender(so)
	require.NoError(t, err)
	return h
}

func contactData(phone, state string) map[string]any {
	subs := map[string]any{}
	if state != "" {
		subs["whatsapp"] = map[string]any{"state": state}
	}
	return map[string]any{
		"contact":   map[string]any{"id": uuid.NewString(), "phone": phone, "name": "Ana", "subscriptions": subs},
		"execution": map[string]any{"id": uuid.NewString(), "workflowId": uuid.NewString(), "version": float64(3)},
	}
}

// run plays the engine's protocol for one attempt: Prepare, Admit,
// Perform, RecordResult.
func (h *sendHarness) run(t *testing.T, config string, data map[string]any) (json.RawMessage, json.RawMessage, error) {
	t.Helper()
	ctx := context.Background()
	req, err := h.sender.Prepare(ctx, engine.PrepareInput{TenantID: h.tenant, ExecutionID: uuid.New(), NodeID: "send",
		Config: json.RawMessage(config), Data: data, Tx: h.tx})
	if err != nil {
		return nil, nil, err
	}
	ereq := engine.EffectRequest{TenantID: h.tenant, ExecutionID: uuid.New(), StepID: uuid.New(), NodeID: "send", Attempt: 1, Request: req}
	wait, err := h.sender.Admit(ctx, ereq)
	require.NoError(t, err)
	require.Zero(t, wait)
	out, perr := h.sender.Perform(ctx, ereq)
	res := engine.EffectResult{TenantID: h.tenant, Request: req, Output: out, Err: perr}
	var ee *engine.EffectError
	if errors.As(perr, &ee) {
		res.Output, res.Retry = ee.Output, ee.Retryable
	}
	require.NoError(t, h.sender.RecordResult(ctx, h.tx, res))
	return req, res.Output, perr
}

func messageID(t *testing.T, raw json.RawMessage) uuid.UUID {
	t.Helper()
	var v struct {
		MessageID uuid.UUID `json:"messageId"`
	}
	require.NoError(t, json.Unmarshal(raw, &v))
	require.NotEqual(t, uuid.Nil, v.MessageID)
	return v.MessageID
}

func TestSenderTemplateOutsideWindow(t *testing.T) {
	t.Parallel()
	h := newSendHarness(t, nil)
	req, out, err := h.run(t, `{"template":{"name":"order_update","parameters":["{{ contact.name }}","#42"]}}`,
		contactData("+16505551234", "subscribed"))
	require.NoError(t, err)
	id := messageID(t, req)
	msg := h.tx.message(id)
	require.Equal(t, domain.MessageSent, msg.Status)
	require.Equal(t, "16505551234", msg.Recipient)
	var o map[string]any
	require.NoError(t, json.Unmarshal(out, &o))
	require.Equal(t, *msg.ProviderMessageID, o["providerMessageId"])

	sends := h.fake.WhatsAppSends()
	require.Len(t, sends, 1)
	require.Equal(t, "order_update", sends[0].Template)
	require.Equal(t, id.String(), sends[0].CallbackData)
	require.Contains(t, string(sends[0].Body), `{"text":"Ana","type":"text"}`)
	require.NotContains(t, string(req), token, "the outbox request holds no secret")
}

func TestSenderTextInsideWindow(t *testing.T) {
	t.Parallel()
	h := newSendHarness(t, nil)
	h.tx.windows["16505551234"] = h.now.Add(-2 * time.Hour)
	_, _, err := h.run(t, `{"text":"Hi {{ contact.name }}, see https://acme.test"}`, contactData("+1 650 555 1234", ""))
	require.NoError(t, err)
	sends := h.fake.WhatsAppSends()
	require.Len(t, sends, 1)
	require.Equal(t, "Hi Ana, see https://acme.test", sends[0].Text)
}

func TestSenderTextOutsideWindowRefusedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	h := newSendHarness(t, nil)
	h.tx.windows["16505551234"] = h.now.Add(-25 * time.Hour)
	_, _, err := h.run(t, `{"text":"Hi"}`, contactData("+16505551234", ""))
	require.ErrorIs(t, err, whatsapp.ErrWindowClosed)
	require.Empty(t, h.fake.WhatsAppSends())
	require.Len(t, h.tx.messages, 1)
	for _, m := range h.tx.messages {
		require.Equal(t, domain.MessageFailed, m.Status)
		require.Equal(t, whatsapp.ReasonWindowClosed, m.ErrorCode)
		require.Contains(t, m.ErrorText, "24-hour")
	}
}

func TestSenderSkipsUnsubscribedAndSuppressed(t *testing.T) {
	t.Parallel()
	h := newSendHarness(t, nil)
	_, _, err := h.run(t, `{"template":{"name":"t"}}`, contactData("+16505551234", "unsubscribed"))
	require.ErrorContains(t, err, "unsubscribed")
	h.tx.suppressed["16505550000"] = true
	_, _, err = h.run(t, `{"template":{"name":"t"}}`, contactData("+16505550000", "subscribed"))
	require.ErrorContains(t, err, "suppressed")
	require.Empty(t, h.fake.WhatsAppSends())
	codes := map[string]bool{}
	for _, m := range h.tx.messages {
		require.Equal(t, domain.MessageSkipped, m.Status)
		codes[m.ErrorCode] = true
	}
	require.Equal(t, map[string]bool{whatsapp.ReasonUnsubscribed: true, whatsapp.ReasonSuppressed: true}, codes)
}

func TestSenderSyncErrors(t *testing.T) {
	t.Parallel()
	h := newSendHarness(t, nil)
	cases := []struct {
		code      int
		retryable bool
		status    domain.MessageStatus
	}{
		{131047, false, domain.MessageFailed},
		{131026, false, domain.MessageFailed},
		{130429, true, domain.MessageQueued},
		{190, false, domain.MessageFailed},
	}
	for i, tc := range cases {
		to := fmt.Sprintf("+1650555%04d", i)
		h.fake.ScriptWhatsApp(to[1:], metafake.WhatsAppScript{ErrorCode: tc.code})
		req, out, err := h.run(t, `{"template":{"name":"t"}}`, contactData(to, ""))
		var ee *engine.EffectError
		require.ErrorAs(t, err, &ee, tc.code)
		require.Equal(t, tc.retryable, ee.Retryable, tc.code)
		require.Contains(t, string(out), fmt.Sprintf(`"code":%d`, tc.code))
		msg := h.tx.message(messageID(t, req))
		require.Equal(t, tc.status, msg.Status, tc.code)
		if tc.status == domain.MessageFailed {
			require.Equal(t, fmt.Sprint(tc.code), msg.ErrorCode)
		}
	}
	require.Contains(t, h.tx.failingConn[h.conns.conn.ID], "access token")
}

func TestSenderRefusesBadConfig(t *testing.T) {
	t.Parallel()
	h := newSendHarness(t, nil)
	for _, cfg := range []string{
		`{"text":"hi","connectionId":"nope"}`,
		`{"text":"hi","connectionId":"` + uuid.NewString() + `"}`,
		`{"text":"hi","to":"not a number"}`,
		`{"text":"{{ contact.name | nosuchfilter }}"}`,
		`{"template":{"name":""}}`,
	} {
		_, _, err := h.run(t, cfg, contactData("+16505551234", ""))
		require.Error(t, err, cfg)
	}
	require.Empty(t, h.fake.WhatsAppSends())
	require.Empty(t, h.tx.messages, "nothing is recorded for a node that cannot be built")
}

func TestSenderAdmitHoldsOverTheLimits(t *testing.T) {
	t.Parallel()
	lim := ratelimit.NewMemory(ratelimit.MemoryOptions{})
	h := newSendHarness(t, lim)
	ctx := context.Background()
	prepare := func(phone string) engine.EffectRequest {
		req, err := h.sender.Prepare(ctx, engine.PrepareInput{TenantID: h.tenant, ExecutionID: uuid.New(), NodeID: "send",
			Config: json.RawMessage(`{"template":{"name":"t"}}`), Data: contactData(phone, ""), Tx: h.tx})
		require.NoError(t, err)
		return engine.EffectRequest{TenantID: h.tenant, Request: req}
	}
	// The pair limit: a second message to the same user waits ~6 s.
	a := prepare("+16505551234")
	wait, err := h.sender.Admit(ctx, a)
	require.NoError(t, err)
	require.Zero(t, wait)
	wait, err = h.sender.Admit(ctx, prepare("+16505551234"))
	require.NoError(t, err)
	require.Greater(t, wait, 5*time.Second)
	// The number's rate (2/s in this connection): a third recipient waits.
	wait, err = h.sender.Admit(ctx, prepare("+16505550001"))
	require.NoError(t, err)
	require.Zero(t, wait)
	wait, err = h.sender.Admit(ctx, prepare("+16505550002"))
	require.NoError(t, err)
	require.Greater(t, wait, time.Duration(0))
	require.LessOrEqual(t, wait, time.Second)
}

// The plan's monthly message limit: a send past it is skipped with
// ReasonPlanLimit and the limit as the reason, recorded skipped, with no
// call; another error of the quota fails the step.
func TestSenderSkipsPastThePlanLimit(t *testing.T) {
	t.Parallel()
	calls := 0
	quotaErr := error(nil)
	var tenant uuid.UUID
	h := newSendHarness(t, nil, func(o *whatsapp.SenderOptions) {
		o.MessageQuota = func(_ context.Context, _ store.Tx, tenantID uuid.UUID, n int) error {
			require.Equal(t, tenant, tenantID)
			require.Equal(t, 1, n)
			calls++
			return quotaErr
		}
	})
	tenant = h.tenant

	_, _, err := h.run(t, `{"template":{"name":"t"}}`, contactData("+16505551234", "subscribed"))
	require.NoError(t, err)
	require.Len(t, h.fake.WhatsAppSends(), 1)

	quotaErr = &plan.LimitError{Plan: domain.PlanFree, Limit: plan.LimitMessagesPerMonth, Value: 1, Usage: 1, Requested: 1}
	_, _, err = h.run(t, `{"template":{"name":"t"}}`, contactData("+16505551234", "subscribed"))
	require.ErrorContains(t, err, "plan FREE limit messagesPerMonth is 1; 1 used")
	require.Len(t, h.fake.WhatsAppSends(), 1, "no call")
	skipped := 0
	for _, m := range h.tx.messages {
		if m.Status == domain.MessageSkipped {
			skipped++
			require.Equal(t, whatsapp.ReasonPlanLimit, m.ErrorCode)
		}
	}
	require.Equal(t, 1, skipped)

	quotaErr = fmt.Errorf("count: %w", store.ErrUnavailable)
	_, err = h.sender.Prepare(context.Background(), engine.PrepareInput{TenantID: h.tenant, ExecutionID: uuid.New(), NodeID: "send",
		Config: json.RawMessage(`{"template":{"name":"t"}}`), Data: contactData("+16505551234", "subscribed"), Tx: h.tx})
	require.ErrorIs(t, err, store.ErrUnavailable, "the database, not the plan: retried")
	require.Equal(t, 3, calls)
}

// TestSenderPerformsTheRequestItIsGiven: PrepareMany gives the engine the
// request decoded beside its bytes (PrepareItem.Value), and a Perform
// given it (EffectRequest.Value, the call right after the prepare in
// the same process) makes the call a request read back from the outbox
// makes; without it, the request is decoded from its bytes.
func TestSenderPerformsTheRequestItIsGiven(t *testing.T) {
	t.Parallel()
	h := newSendHarness(t, nil)
	ctx := context.Background()
	h.tx.windows["16505551234"] = h.now.Add(-time.Hour)
	exec := uuid.New()
	items := []*engine.PrepareItem{{Ctx: ctx, In: engine.PrepareInput{TenantID: h.tenant, ExecutionID: exec, NodeID: "send",
		Config: json.RawMessage(`{"text":"Hi {{ contact.name }} <b>&</b>"}`), Data: contactData("+16505551234", ""), Tx: h.tx}}}
	require.NoError(t, h.sender.PrepareMany(ctx, h.tx, items))
	require.NoError(t, items[0].Err)
	req := items[0].Request
	require.NotNil(t, items[0].Value, "the request decoded, for the engine to carry")
	ereq := engine.EffectRequest{TenantID: h.tenant, ExecutionID: exec, StepID: uuid.New(), NodeID: "send",
		IdempotencyKey: exec.String() + ":1", Attempt: 1, Request: req, Value: items[0].Value}
	_, err := h.sender.Perform(ctx, ereq)
	require.NoError(t, err)

	// The same stored request in another process (a fresh sender, no
	// value) makes the same call.
	ereq.Value = nil
	c, err := whatsapp.NewClient(whatsapp.ClientOptions{BaseURL: h.fake.URL(), APIVersion: "v21.0"})
	require.NoError(t, err)
	other, err := whatsapp.NewSender(whatsapp.SenderOptions{Client: c, Connections: h.conns,
		Store: &memStore{tx: h.tx}, Now: func() time.Time { return h.now }})
	require.NoError(t, err)
	_, err = other.Perform(ctx, ereq)
	require.NoError(t, err)

	// A request read back with other bytes: the text those bytes say.
	var stored map[string]any
	require.NoError(t, json.Unmarshal(req, &stored))
	stored["message"].(map[string]any)["text"].(map[string]any)["body"] = "edited"
	ereq.Request, err = json.Marshal(stored)
	require.NoError(t, err)
	_, err = h.sender.Perform(ctx, ereq)
	require.NoError(t, err)

	sends := h.fake.WhatsAppSends()
	require.Len(t, sends, 3)
	require.Equal(t, "Hi Ana <b>&</b>", sends[0].Text)
	require.JSONEq(t, string(sends[0].Body), string(sends[1].Body))
	require.Equal(t, "edited", sends[2].Text)
}
