package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
)

const (
	phoneID = "106540352242922"
	token   = "EAAG-token"
)

// receiver is a webhook endpoint that keeps the statuses of signed
// deliveries.
type receiver struct {
	secret []byte
	mu     sync.Mutex
	got    []metawebhook.WhatsAppStatus
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := metawebhook.ReadSigned(r, rc.secret, 0)
	if err != nil {
		http.Error(w, err.Error(), metawebhook.Status(err))
		return
	}
	d, err := metawebhook.ParseWhatsApp(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.got = append(rc.got, d.Statuses...)
	rc.mu.Unlock()
}

func (rc *receiver) statuses() []metawebhook.WhatsAppStatus {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]metawebhook.WhatsAppStatus(nil), rc.got...)
}

func setup(t *testing.T, opts metafake.Options) (*whatsapp.Client, *metafake.Server, *receiver) {
	t.Helper()
	rc := &receiver{secret: []byte("app-secret")}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	fake := metafake.New(opts)
	t.Cleanup(fake.Close)
	fake.AddWhatsAppNumber(metafake.WhatsAppNumber{PhoneNumberID: phoneID, DisplayPhoneNumber: "15550783881",
		VerifiedName: "Acme", Token: token, AppSecret: rc.secret, WebhookURL: hook.URL})
	c, err := whatsapp.NewClient(whatsapp.ClientOptions{BaseURL: fake.URL(), APIVersion: "v21.0"})
	require.NoError(t, err)
	return c, fake, rc
}

func TestSendText(t *testing.T) {
	t.Parallel()
	c, fake, rc := setup(t, metafake.Options{})
	res, err := c.Send(context.Background(), phoneID, token, whatsapp.Message{To: "+1 650-555-1234",
		Text: &whatsapp.Text{Body: "Your order shipped", PreviewURL: true}, CallbackData: "msg-1"})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(res.MessageID, "wamid."), res.MessageID)
	require.Equal(t, "16505551234", res.WaID)

	sends := fake.WhatsAppSends()
	require.Len(t, sends, 1)
	require.Equal(t, "16505551234", sends[0].To)
	require.Equal(t, "Your order shipped", sends[0].Text)
	var body map[string]any
	require.NoError(t, json.Unmarshal(sends[0].Body, &body))
	require.Equal(t, "msg-1", body["biz_opaque_callback_data"])
	require.Equal(t, map[string]any{"preview_url": true, "body": "Your order shipped"}, body["text"])

	require.Eventually(t, func() bool { return len(rc.statuses()) == 3 }, 5*time.Second, 10*time.Millisecond)
	for i, want := range []string{"sent", "delivered", "read"} {
		st := rc.statuses()[i]
		require.Equal(t, want, st.Status)
		require.Equal(t, res.MessageID, st.ID)
		require.Equal(t, "msg-1", st.CallbackData)
	}
}

func TestSendTemplateAndMedia(t *testing.T) {
	t.Parallel()
	c, fake, _ := setup(t, metafake.Options{})
	_, err := c.Send(context.Background(), phoneID, token, whatsapp.Message{To: "16505551234", Template: &whatsapp.Template{
		Name: "order_update", BodyParameters: []string{"Ana", "#42"},
		Buttons: []whatsapp.TemplateButton{{SubType: "url", Index: 0, Parameter: "track/42"}}}})
	require.NoError(t, err)
	_, err = c.Send(context.Background(), phoneID, token, whatsapp.Message{To: "16505551234",
		Media: &whatsapp.Media{Type: "document", Link: "https://cdn.example.com/invoice.pdf", Caption: "Invoice", Filename: "invoice.pdf"}})
	require.NoError(t, err)

	sends := fake.WhatsAppSends()
	require.Len(t, sends, 2)
	require.JSONEq(t, `{"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"template",
		"template":{"name":"order_update","language":{"code":"en_US"},"components":[
		 {"type":"body","parameters":[{"type":"text","text":"Ana"},{"type":"text","text":"#42"}]},
		 {"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"track/42"}]}]}}`, string(sends[0].Body))
	require.JSONEq(t, `{"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"document",
		"document":{"link":"https://cdn.example.com/invoice.pdf","caption":"Invoice","filename":"invoice.pdf"}}`, string(sends[1].Body))
}

func TestSendErrorsByCode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		code  int
		class whatsapp.Class
	}{
		{"window closed", 131047, whatsapp.Permanent},
		{"undeliverable", 131026, whatsapp.Permanent},
		{"throughput", 130429, whatsapp.Retryable},
		{"pair limit", 131056, whatsapp.Retryable},
		{"spam", 131048, whatsapp.Permanent},
		{"not delivered", 131049, whatsapp.Permanent},
		{"parameter", 100, whatsapp.Permanent},
		{"unknown", 1, whatsapp.Retryable},
		{"overloaded", 2, whatsapp.Retryable},
		{"something wrong", 131000, whatsapp.Retryable},
		{"token", 190, whatsapp.ConnectionBroken},
	}
	c, fake, _ := setup(t, metafake.Options{})
	for i, tc := range cases {
		to := fmt.Sprintf("1650555%04d", i)
		fake.ScriptWhatsApp(to, metafake.WhatsAppScript{ErrorCode: tc.code})
		_, err := c.Send(context.Background(), phoneID, token, whatsapp.Message{To: to, Text: &whatsapp.Text{Body: "hi"}})
		var api *whatsapp.APIError
		require.ErrorAs(t, err, &api, tc.name)
		require.Equal(t, tc.code, api.Code, tc.name)
		require.Equal(t, tc.class, whatsapp.ClassifyError(err), tc.name)
		require.NotContains(t, err.Error(), token)
	}
}

func TestSendRetryableThenAccepted(t *testing.T) {
	t.Parallel()
	c, fake, _ := setup(t, metafake.Options{})
	fake.ScriptWhatsApp("16505551234", metafake.WhatsAppScript{ErrorCode: 130429, Times: 1})
	msg := whatsapp.Message{To: "16505551234", Text: &whatsapp.Text{Body: "hi"}}
	_, err := c.Send(context.Background(), phoneID, token, msg)
	require.Equal(t, whatsapp.Retryable, whatsapp.ClassifyError(err))
	res, err := c.Send(context.Background(), phoneID, token, msg)
	require.NoError(t, err)
	require.NotEmpty(t, res.MessageID)
}

func TestSendAsyncFailed(t *testing.T) {
	t.Parallel()
	c, fake, rc := setup(t, metafake.Options{})
	fake.ScriptWhatsApp("16505551234", metafake.WhatsAppScript{FailAfterAccept: 131047})
	res, err := c.Send(context.Background(), phoneID, token, whatsapp.Message{To: "16505551234", Text: &whatsapp.Text{Body: "hi"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(rc.statuses()) == 2 }, 5*time.Second, 10*time.Millisecond)
	failed := rc.statuses()[1]
	require.Equal(t, res.MessageID, failed.ID)
	require.Equal(t, "failed", failed.Status)
	require.Equal(t, 131047, failed.Errors[0].Code)
}

func TestSendWrongToken(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t, metafake.Options{})
	_, err := c.Send(context.Background(), phoneID, "stale", whatsapp.Message{To: "16505551234", Text: &whatsapp.Text{Body: "hi"}})
	require.Equal(t, whatsapp.ConnectionBroken, whatsapp.ClassifyError(err))
	_, err = c.PhoneNumber(context.Background(), phoneID, "stale")
	require.Equal(t, whatsapp.ConnectionBroken, whatsapp.ClassifyError(err))
	pn, err := c.PhoneNumber(context.Background(), phoneID, token)
	require.NoError(t, err)
	require.Equal(t, "15550783881", pn.DisplayPhoneNumber)
	require.Equal(t, "Acme", pn.VerifiedName)
}

func TestSendRefusedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	c, fake, _ := setup(t, metafake.Options{})
	bad := []whatsapp.Message{
		{To: "16505551234", Text: &whatsapp.Text{Body: strings.Repeat("é", whatsapp.MaxTextLength+1)}},
		{To: "16505551234", Text: &whatsapp.Text{Body: "  "}},
		{To: "not a phone", Text: &whatsapp.Text{Body: "hi"}},
		{To: "16505551234"},
		{To: "16505551234", Text: &whatsapp.Text{Body: "hi"}, Template: &whatsapp.Template{Name: "x"}},
		{To: "16505551234", Media: &whatsapp.Media{Type: "image", Link: "ftp://x/y"}},
		{To: "16505551234", Media: &whatsapp.Media{Type: "hologram", Link: "https://x/y"}},
		{To: "16505551234", Template: &whatsapp.Template{Name: "t", Buttons: []whatsapp.TemplateButton{{SubType: "call"}}}},
	}
	for i, m := range bad {
		_, err := c.Send(context.Background(), phoneID, token, m)
		require.Error(t, err, i)
		require.Equal(t, whatsapp.Permanent, whatsapp.ClassifyError(err), i)
	}
	_, err := c.Send(context.Background(), "../x", token, whatsapp.Message{To: "16505551234", Text: &whatsapp.Text{Body: "hi"}})
	require.Error(t, err)
	require.Empty(t, fake.WhatsAppSends())

	ok := whatsapp.Message{To: "16505551234", Text: &whatsapp.Text{Body: strings.Repeat("é", whatsapp.MaxTextLength)}}
	require.NoError(t, ok.Validate())
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()
	var mode string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		m := mode
		mu.Unlock()
		switch m {
		case "502":
			http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
		case "slow":
			time.Sleep(300 * time.Millisecond)
		case "garbage":
			_, _ = w.Write([]byte("{not json"))
		case "403":
			http.Error(w, "forbidden", http.StatusForbidden)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := whatsapp.NewClient(whatsapp.ClientOptions{BaseURL: srv.URL + "/graph/", Timeout: 100 * time.Millisecond})
	require.NoError(t, err)
	msg := whatsapp.Message{To: "16505551234", Text: &whatsapp.Text{Body: "hi"}}
	for m, class := range map[string]whatsapp.Class{"502": whatsapp.Retryable, "slow": whatsapp.Retryable,
		"garbage": whatsapp.Retryable, "403": whatsapp.Permanent} {
		mu.Lock()
		mode = m
		mu.Unlock()
		_, err := c.Send(context.Background(), phoneID, token, msg)
		require.Error(t, err, m)
		require.Equal(t, class, whatsapp.ClassifyError(err), m)
		require.NotContains(t, err.Error(), token, m)
	}
	var tr *whatsapp.TransportError
	mu.Lock()
	mode = "slow"
	mu.Unlock()
	_, err = c.Send(context.Background(), phoneID, token, msg)
	require.True(t, errors.As(err, &tr))
}

func TestNewClientRefusesBadSettings(t *testing.T) {
	t.Parallel()
	for _, opts := range []whatsapp.ClientOptions{{BaseURL: "graph.example"}, {BaseURL: "ftp://x"}, {APIVersion: "21"}, {APIVersion: "v21.0/../x"}} {
		_, err := whatsapp.NewClient(opts)
		require.Error(t, err, opts)
	}
	_, err := whatsapp.NewClient(whatsapp.ClientOptions{})
	require.NoError(t, err)
}

func TestProbeSaysWhatFailed(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t, metafake.Options{})
	pn, err := c.Probe(context.Background(), phoneID, token)
	require.NoError(t, err)
	require.Equal(t, "Acme", pn.VerifiedName)
	_, err = c.Probe(context.Background(), phoneID, "stale")
	require.ErrorContains(t, err, "refused the access token")
	_, err = c.Probe(context.Background(), "999", token)
	require.ErrorContains(t, err, "does not exist")
	_, err = c.Probe(context.Background(), "", token)
	require.ErrorContains(t, err, "no phone number ID")
	down, err := whatsapp.NewClient(whatsapp.ClientOptions{BaseURL: "http://127.0.0.1:1", Timeout: time.Second})
	require.NoError(t, err)
	_, err = down.Probe(context.Background(), phoneID, token)
	require.ErrorContains(t, err, "could not be reached")
	require.NotContains(t, err.Error(), token)
}
