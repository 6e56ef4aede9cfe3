package enginebench

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/benchfixture"
	"github.com/nextflow-dev/nextflow/internal/channel/email"
	"github.com/nextflow-dev/nextflow/internal/channel/email/smtptest"
	"github.com/nextflow-dev/nextflow/internal/channel/emailsend"
	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// The bench's WhatsApp business number on the fake Cloud API.
const (
	benchPhoneNumberID = "106540352242922"
	benchWhatsAppToken = "bench-token"
)

// sendSinks are the send phases' providers: an in-process SMTP server
// (smtptest, counting and discarding what it accepts) and the fake Graph
// API (metafake, no webhooks), with the email.send and whatsapp.send side
// effects pointed at them.
type sendSinks struct {
	smtp   *smtptest.Server
	graph  *metafake.Server
	mailer *email.Sender
	// effects go in engine.Options.SideEffects.
	effects []engine.SideEffect
}

// startSendSinks starts the providers and builds the two side effects the
// way the application does (pooled SMTP sender through the SSRF guard,
// Cloud API client), with a fixed connection per channel for any tenant
// and no rate limits (the per-number limit would cap the phase at the
// connection's messages per second, 1,000 at most).
func startSendSinks(st store.Store, log *slog.Logger) (*sendSinks, error) {
	s := &sendSinks{}
	var err error
	if s.smtp, err = smtptest.Start(smtptest.Options{Discard: true}); err != nil {
		return nil, fmt.Errorf("bench: SMTP sink: %w", err)
	}
	s.graph = metafake.New(metafake.Options{})
	s.graph.AddWhatsAppNumber(metafake.WhatsAppNumber{PhoneNumberID: benchPhoneNumberID, DisplayPhoneNumber: "+1 555 0100",
		VerifiedName: "Bench", Token: benchWhatsAppToken})
	if log == nil {
		log = slog.Default()
	}
	if s.mailer, err = email.NewSender(email.Options{Allow: []string{"127.0.0.1"}, Logger: log}); err != nil {
		s.Close()
		return nil, fmt.Errorf("bench: SMTP sender: %w", err)
	}
	cfg, err := email.Config{Host: s.smtp.Host, Port: s.smtp.Port, TLS: email.TLSNone, From: "Bench <bench@example.com>"}.Normalize()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("bench: SMTP config: %w", err)
	}
	mail, err := emailsend.New(emailsend.Options{Sender: s.mailer, Connections: benchEmailConnections{cfg: cfg}, Store: st, Log: log})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("bench: email.send: %w", err)
	}
	client, err := whatsapp.NewClient(whatsapp.ClientOptions{BaseURL: s.graph.URL()})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("bench: WhatsApp client: %w", err)
	}
	wa, err := whatsapp.NewSender(whatsapp.SenderOptions{Client: client, Connections: benchWhatsAppConnections{}, Store: st, Log: log})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("bench: whatsapp.send: %w", err)
	}
	s.effects = []engine.SideEffect{mail, wa}
	return s, nil
}

// Close stops the providers and the SMTP connections.
func (s *sendSinks) Close() {
	if s.mailer != nil {
		_ = s.mailer.Close()
	}
	if s.graph != nil {
		s.graph.Close()
	}
	if s.smtp != nil {
		_ = s.smtp.Close()
	}
}

// emails is the number of messages the SMTP sink accepted; whatsApps the
// number of sends the fake Cloud API accepted.
func (s *sendSinks) emails() int    { return int(s.smtp.Count()) }
func (s *sendSinks) whatsApps() int { return len(s.graph.WhatsAppSends()) }

// benchConnectionID is the ID of the bench's connections (messages rows
// name it; no channel_connections row is needed).
var benchConnectionID = uuid.MustParse("0194b2a0-0000-7000-8000-00000000be0c")

// benchEmailConnections is every tenant's one email connection: the SMTP
// sink.
type benchEmailConnections struct{ cfg email.Config }

// Get implements emailsend.Connections.
func (c benchEmailConnections) Get(_ context.Context, _ store.Tx, tenantID, _ uuid.UUID) (*emailsend.Connection, error) {
	return &emailsend.Connection{ID: benchConnectionID, TenantID: tenantID, Config: c.cfg}, nil
}

// MarkFailing implements emailsend.Connections; the bench's connection is
// never marked.
func (benchEmailConnections) MarkFailing(context.Context, store.Tx, uuid.UUID, uuid.UUID, string) error {
	return nil
}

// benchWhatsAppConnections is every tenant's one WhatsApp connection: the
// fake Cloud API's number.
type benchWhatsAppConnections struct{}

func (benchWhatsAppConnections) conn(tenantID uuid.UUID) *whatsapp.Connection {
	return &whatsapp.Connection{ID: benchConnectionID, TenantID: tenantID, PhoneNumberID: benchPhoneNumberID,
		AccessToken: benchWhatsAppToken, MessagesPerSecond: 1000}
}

// Get implements whatsapp.Connections.
func (c benchWhatsAppConnections) Get(_ context.Context, _ store.Tx, tenantID, _ uuid.UUID) (*whatsapp.Connection, error) {
	return c.conn(tenantID), nil
}

// Lookup implements whatsapp.Connections (no webhooks in the bench).
func (benchWhatsAppConnections) Lookup(context.Context, uuid.UUID) (*whatsapp.Connection, error) {
	return nil, whatsapp.ErrNoConnection
}

// MarkFailing implements whatsapp.Connections; never marked.
func (benchWhatsAppConnections) MarkFailing(context.Context, store.Tx, uuid.UUID, uuid.UUID, string) error {
	return nil
}

// emailDef is a journey with one email send: a manual trigger, an
// email.send to an address of its own, a pure node reading its output,
// and an end (effectSteps steps, as effectDef).
const emailDef = `{"nodes": [
  {"id": "start", "type": "trigger.manual"},
  {"id": "send", "type": "email.send", "config": {"to": "user-{{ execution.id }}@example.com",
    "subject": "Order {{ execution.id }}", "text": "Thanks for your order.", "html": "<p>Thanks for your order.</p>"}},
  {"id": "tag", "type": "set_attribute", "config": {"target": "vars", "attributes": {"message": "steps.send.output.messageId"}}},
  {"id": "done", "type": "end"}],
 "edges": [{"id": "e1", "source": "start", "target": "send"}, {"id": "e2", "source": "send", "target": "tag"},
  {"id": "e3", "source": "tag", "target": "done"}]}`

// whatsAppDef is the same with one WhatsApp template send.
const whatsAppDef = `{"nodes": [
  {"id": "start", "type": "trigger.manual"},
  {"id": "send", "type": "whatsapp.send", "config": {"to": "+4915112345678",
    "template": {"name": "order_update", "language": "en_US", "parameters": ["{{ execution.id }}"]}}},
  {"id": "tag", "type": "set_attribute", "config": {"target": "vars", "attributes": {"message": "steps.send.output.messageId"}}},
  {"id": "done", "type": "end"}],
 "edges": [{"id": "e1", "source": "start", "target": "send"}, {"id": "e2", "source": "send", "target": "tag"},
  {"id": "e3", "source": "tag", "target": "done"}]}`

// benchSends measures the two send journeys, saturated and paced like
// the side-effect phase, and checks that each execution made exactly one
// send.
func benchSends(ctx context.Context, eng *engines, rec *benchRecorder, sinks *sendSinks, st store.Store, tenantID uuid.UUID, cfg Config) (mail, mailPaced, chat, chatPaced Phase, err error) {
	mailWF, err := benchfixture.Publish(ctx, st, tenantID, "bench email", emailDef)
	if err != nil {
		return
	}
	chatWF, err := benchfixture.Publish(ctx, st, tenantID, "bench whatsapp", whatsAppDef)
	if err != nil {
		return
	}
	before := sinks.emails()
	if mail, mailPaced, err = benchEffect(ctx, eng, rec, tenantID, mailWF, "one email send", cfg); err != nil {
		return
	}
	if got, want := sinks.emails()-before, mail.Executions+mailPaced.Executions; got != want && mail.Incomplete+mailPaced.Incomplete == 0 {
		err = fmt.Errorf("bench: %d email executions made %d sends", want, got)
		return
	}
	before = sinks.whatsApps()
	if chat, chatPaced, err = benchEffect(ctx, eng, rec, tenantID, chatWF, "one WhatsApp send", cfg); err != nil {
		return
	}
	if got, want := sinks.whatsApps()-before, chat.Executions+chatPaced.Executions; got != want && chat.Incomplete+chatPaced.Incomplete == 0 {
		err = fmt.Errorf("bench: %d WhatsApp executions made %d sends", want, got)
	}
	return
}
