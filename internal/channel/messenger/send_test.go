package messenger

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/ratelimit"
)

func TestSendInsideTheWindow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
	contactID := uuid.New()
	h.openWindow(t, testPSID, time.Hour, contactID)

	req, err := h.prepare(t, `{"text":"Hi {{ contact.name }}"}`, contactData(contactID, testPSID, nil))
	require.NoError(t, err)
	require.NotContains(t, string(req), "page-token", "no secret in the outbox")
	id := messageIDOf(t, req)
	m := h.store.message(t, id)
	require.Equal(t, domain.MessageQueued, m.Status)
	require.Equal(t, testPSID, m.Recipient)
	require.Equal(t, 3, m.WorkflowVersion)
	require.Empty(t, h.page.Sends(), "Prepare makes no call")

	out, err := h.perform(t, req, false)
	require.NoError(t, err)
	var o SendOutput
	require.NoError(t, json.Unmarshal(out, &o))
	sends := h.page.Sends()
	require.Len(t, sends, 1)
	require.Equal(t, "Hi Ana", sends[0].Text)
	require.Equal(t, "UPDATE", sends[0].MessagingType)
	require.Equal(t, id.String(), sends[0].Metadata)
	require.Equal(t, sends[0].MessageID, o.ProviderMessageID)

	m = h.store.message(t, id)
	require.Equal(t, domain.MessageSent, m.Status)
	require.Equal(t, sends[0].MessageID, *m.ProviderMessageID)
}

func TestSendAnsweringAMessageIsAResponse(t *testing.T) {
	t.Parallel()
	h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
	contactID := uuid.New()
	h.openWindow(t, testPSID, time.Minute, contactID)
	data := contactData(contactID, testPSID, nil)
	data["trigger"] = map[string]any{"type": "trigger.event", "event": map[string]any{"name": EventMessageReceived}}
	req, err := h.prepare(t, `{"text":"Thanks!"}`, data)
	require.NoError(t, err)
	_, err = h.perform(t, req, false)
	require.NoError(t, err)
	require.Equal(t, "RESPONSE", h.page.Sends()[0].MessagingType)
}

func TestSendFromTemplate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
	contactID, tplID := uuid.New(), uuid.New()
	h.store.tx.templates[tplID] = &domain.MessageTemplate{ID: tplID, TenantID: h.tenant, Channel: domain.ChannelMessenger,
		Content: json.RawMessage(`{"text":"Order for {{ contact.name }}"}`)}
	h.openWindow(t, testPSID, time.Hour, contactID)
	req, err := h.prepare(t, `{"templateId":"`+tplID.String()+`"}`, contactData(contactID, testPSID, nil))
	require.NoError(t, err)
	require.Equal(t, tplID, *h.store.message(t, messageIDOf(t, req)).TemplateID)
	_, err = h.perform(t, req, false)
	require.NoError(t, err)
	require.Equal(t, "Order for Ana", h.page.Sends()[0].Text)

	_, err = h.prepare(t, `{"templateId":"`+uuid.NewString()+`"}`, contactData(contactID, testPSID, nil))
	require.ErrorContains(t, err, "does not exist")
}

func TestSendRefusedOutsideTheWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		ago    time.Duration // 0: never wrote
		config string
		code   string
		words  string
	}{
		{"no tag after 24h", 30 * time.Hour, `{"text":"hi"}`, ReasonWindowClosed, "more than 24 hours"},
		{"never wrote", 0, `{"text":"hi","tag":"HUMAN_AGENT"}`, ReasonWindowClosed, "never written"},
		{"human agent after 7 days", 8 * 24 * time.Hour, `{"text":"hi","tag":"HUMAN_AGENT"}`, ReasonWindowClosed, "7 days"},
		{"unconfirmed tag", 30 * time.Hour, `{"text":"hi","tag":"POST_PURCHASE_UPDATE"}`, ReasonTagNotSupported, "only HUMAN_AGENT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
			contactID := uuid.New()
			if tc.ago > 0 {
				h.openWindow(t, testPSID, tc.ago, contactID)
			}
			_, err := h.prepare(t, tc.config, contactData(contactID, testPSID, nil))
			require.ErrorContains(t, err, tc.words)
			require.NotContains(t, err.Error(), "skipped", "a refusal fails the node")
			require.Len(t, h.store.tx.messages, 1)
			for _, m := range h.store.tx.messages {
				require.Equal(t, domain.MessageFailed, m.Status)
				require.Equal(t, tc.code, m.ErrorCode)
				require.Contains(t, m.ErrorText, tc.words)
			}
			require.Empty(t, h.page.Sends())
		})
	}
}

func TestSendHumanAgentWithinSevenDays(t *testing.T) {
	t.Parallel()
	h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
	contactID := uuid.New()
	h.openWindow(t, testPSID, 3*24*time.Hour, contactID)
	req, err := h.prepare(t, `{"text":"An agent here","tag":"HUMAN_AGENT"}`, contactData(contactID, testPSID, nil))
	require.NoError(t, err)
	_, err = h.perform(t, req, false)
	require.NoError(t, err)
	s := h.page.Sends()[0]
	require.Equal(t, "MESSAGE_TAG", s.MessagingType)
	require.Equal(t, "HUMAN_AGENT", s.Tag)
}

func TestSendSkipped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, psid string
		extra      map[string]any
		suppress   bool
		code       string
	}{
		{"unsubscribed", testPSID, map[string]any{"subscriptions": map[string]any{"messenger": map[string]any{"state": "unsubscribed"}}}, false, ReasonUnsubscribed},
		{"suppressed", testPSID, nil, true, ReasonSuppressed},
		{"no psid", "", nil, false, ReasonNoPSID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
			contactID := uuid.New()
			h.openWindow(t, testPSID, time.Hour, contactID)
			if tc.suppress {
				h.store.tx.suppressions["messenger/"+testPSID] = true
			}
			_, err := h.prepare(t, `{"text":"hi"}`, contactData(contactID, tc.psid, tc.extra))
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), "skipped: "), err.Error())
			for _, m := range h.store.tx.messages {
				require.Equal(t, domain.MessageSkipped, m.Status)
				require.Equal(t, tc.code, m.ErrorCode)
			}
			require.Len(t, h.store.tx.messages, 1)
			require.Empty(t, h.page.Sends())
		})
	}
}

func TestSendSyncErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		script    metafake.MessengerScript
		retryable bool
		status    domain.MessageStatus
		code      string
		failing   bool
	}{
		{"551 unavailable", metafake.MessengerScript{ErrorCode: 551, ErrorSubcode: 1545041}, false, domain.MessageFailed, "551/1545041", false},
		{"10 outside window", metafake.MessengerScript{ErrorCode: 10, ErrorSubcode: 2018278}, false, domain.MessageFailed, "10/2018278", false},
		{"613 rate limit", metafake.MessengerScript{ErrorCode: 613}, true, domain.MessageQueued, "", false},
		{"190 token", metafake.MessengerScript{ErrorCode: 190}, false, domain.MessageFailed, "190", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
			contactID := uuid.New()
			h.openWindow(t, testPSID, time.Hour, contactID)
			h.page.Script(testPSID, tc.script)
			req, err := h.prepare(t, `{"text":"hi"}`, contactData(contactID, testPSID, nil))
			require.NoError(t, err)
			_, err = h.perform(t, req, tc.retryable)
			var ee *engine.EffectError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, tc.retryable, ee.Retryable)
			var o SendOutput
			require.NoError(t, json.Unmarshal(ee.Output, &o))
			require.NotNil(t, o.Error)
			require.NotContains(t, string(ee.Output), "page-token")

			m := h.store.message(t, messageIDOf(t, req))
			require.Equal(t, tc.status, m.Status)
			require.Equal(t, tc.code, m.ErrorCode)
			_, broken := h.conns.failing[h.conn.ID]
			require.Equal(t, tc.failing, broken)
		})
	}
}

func TestAdmitHoldsThePageRate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
	h.sender.opts.Limiter = ratelimit.NewMemory(ratelimit.MemoryOptions{})
	req, _ := json.Marshal(sendRequest{PageID: testPage, Rate: 2})
	ctx := context.Background()
	for range 2 {
		wait, err := h.sender.Admit(ctx, engine.EffectRequest{TenantID: h.tenant, Request: req})
		require.NoError(t, err)
		require.Zero(t, wait)
	}
	wait, err := h.sender.Admit(ctx, engine.EffectRequest{TenantID: h.tenant, Request: req})
	require.NoError(t, err)
	require.Positive(t, wait)
	other, _ := json.Marshal(sendRequest{PageID: "other", Rate: 2})
	wait, err = h.sender.Admit(ctx, engine.EffectRequest{TenantID: h.tenant, Request: other})
	require.NoError(t, err)
	require.Zero(t, wait, "each page has its own rate")
}

func TestPerformReopensTheConnectionAfterARefusedToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, metafake.Options{}, metafake.MessengerPage{})
	contactID := uuid.New()
	h.openWindow(t, testPSID, time.Hour, contactID)
	send := func() error {
		req, err := h.prepare(t, `{"text":"hi"}`, contactData(contactID, testPSID, nil))
		require.NoError(t, err)
		_, err = h.perform(t, req, false)
		return err
	}
	require.NoError(t, send())
	// The page's token is rotated in the connection: the cached one is
	// refused once, then the connection is read again.
	h.page.AddPage(metafake.MessengerPage{PageID: testPage, Token: "new-token", AppSecret: []byte(testSecret)})
	h.conns.mu.Lock()
	h.conns.conns[h.conn.ID].PageToken = "new-token"
	h.conns.mu.Unlock()
	require.Error(t, send(), "the cached token is refused")
	require.NoError(t, send(), "the connection is read again")
}
