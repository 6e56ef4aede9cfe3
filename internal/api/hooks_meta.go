package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/channel/messenger"
	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
)

// Public URLs a connection's webhook is configured with at Meta, under the
// server's base URL.
const (
	WhatsAppHookPath  = "/hooks/whatsapp/{connectionId}"
	MessengerHookPath = "/hooks/messenger/{connectionId}"
)

// MetaWebhook is what a Meta webhook endpoint calls (whatsapp.Inbound,
// messenger.Inbound).
type MetaWebhook interface {
	Handshake(ctx context.Context, connectionID uuid.UUID, query url.Values) (string, error)
	Receive(ctx context.Context, connectionID uuid.UUID, body []byte, signature string) error
}

// WhatsAppWebhook is what the WhatsApp webhook endpoint calls.
type WhatsAppWebhook = MetaWebhook

// MessengerWebhook is what the Messenger webhook endpoint calls.
type MessengerWebhook = MetaWebhook

// metaChannel is what differs between Meta's channels at the webhook: the
// path, the body bound and the errors the channel's Inbound returns.
type metaChannel struct {
	name         string // as shown to people: "WhatsApp"
	path         string
	maxBody      int64
	noConnection error
	verifyToken  error
	wrongBody    error
	wrongBodyMsg string
}

var (
	whatsAppChannel = metaChannel{
		name: "WhatsApp", path: WhatsAppHookPath, maxBody: whatsapp.MaxWebhookBody,
		noConnection: whatsapp.ErrNoConnection, verifyToken: whatsapp.ErrVerifyToken,
		wrongBody: whatsapp.ErrNotWhatsAppBody, wrongBodyMsg: "the body is not a whatsapp_business_account webhook",
	}
	messengerChannel = metaChannel{
		name: "Messenger", path: MessengerHookPath, maxBody: messenger.MaxWebhookBody,
		noConnection: messenger.ErrNoConnection, verifyToken: messenger.ErrVerifyToken,
		wrongBody: messenger.ErrNotPageBody, wrongBodyMsg: messenger.ErrNotPageBody.Error(),
	}
)

// MountWhatsAppHooks serves Meta's callbacks for WhatsApp connections; see
// mountMetaHooks.
func (s *Server) MountWhatsAppHooks(hooks WhatsAppWebhook) {
	s.mountMetaHooks(whatsAppChannel, hooks)
}

// MountMessengerHooks serves Meta's callbacks for Messenger connections;
// see mountMetaHooks.
func (s *Server) MountMessengerHooks(hooks MessengerWebhook) {
	s.mountMetaHooks(messengerChannel, hooks)
}

// mountMetaHooks serves a Meta channel's callbacks on the server's mux:
// GET answers the subscription handshake with the connection's verify
// token; POST checks X-Hub-Signature-256 against the connection's app
// secret over the raw body (bounded) and stores the delivery for
// processing, answering 200 at once. They are provider callbacks, not API
// operations, so they are outside the OpenAPI document.
func (s *Server) mountMetaHooks(ch metaChannel, hooks MetaWebhook) {
	h := &metaHooks{ch: ch, hooks: hooks, log: s.log}
	if h.log == nil {
		h.log = slog.Default()
	}
	s.mux.HandleFunc("GET "+ch.path, h.handshake)
	s.mux.HandleFunc("POST "+ch.path, h.receive)
}

type metaHooks struct {
	ch    metaChannel
	hooks MetaWebhook
	log   *slog.Logger
}

func (h *metaHooks) connection(w http.ResponseWriter, r *http.Request) (uuid.UUID, bool) {
	id, err := uuid.Parse(r.PathValue("connectionId"))
	if err != nil {
		hookProblem(w, http.StatusNotFound, "connectionId must be a connection's UUID")
		return uuid.Nil, false
	}
	return id, true
}

func (h *metaHooks) handshake(w http.ResponseWriter, r *http.Request) {
	id, ok := h.connection(w, r)
	if !ok {
		return
	}
	challenge, err := h.hooks.Handshake(r.Context(), id, r.URL.Query())
	switch {
	case errors.Is(err, h.ch.noConnection):
		hookProblem(w, http.StatusNotFound, "no "+h.ch.name+" connection at this URL")
		return
	case errors.Is(err, h.ch.verifyToken):
		hookProblem(w, http.StatusForbidden, err.Error())
		return
	case err != nil:
		h.log.ErrorContext(r.Context(), "meta webhook handshake", "channel", h.ch.name, "connection", id, "error", err)
		hookProblem(w, http.StatusServiceUnavailable, "the connection could not be read; try again")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, challenge)
}

func (h *metaHooks) receive(w http.ResponseWriter, r *http.Request) {
	id, ok := h.connection(w, r)
	if !ok {
		return
	}
	body, err := metawebhook.ReadBody(r, h.ch.maxBody)
	if err != nil {
		hookProblem(w, metawebhook.Status(err), err.Error())
		return
	}
	err = h.hooks.Receive(r.Context(), id, body, r.Header.Get(metawebhook.SignatureHeader))
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"received":true}`)
	case errors.Is(err, h.ch.noConnection):
		hookProblem(w, http.StatusNotFound, "no "+h.ch.name+" connection at this URL")
	case errors.Is(err, metawebhook.ErrSignatureMissing):
		hookProblem(w, http.StatusUnauthorized, metawebhook.SignatureHeader+" is missing")
	case errors.Is(err, metawebhook.ErrSignatureInvalid):
		hookProblem(w, http.StatusUnauthorized, metawebhook.SignatureHeader+" does not match the body under the connection's app secret")
	case errors.Is(err, h.ch.wrongBody):
		hookProblem(w, http.StatusBadRequest, h.ch.wrongBodyMsg)
	default:
		// Meta retries a non-200 answer, so a delivery not stored is not lost.
		h.log.ErrorContext(r.Context(), "meta webhook", "channel", h.ch.name, "connection", id, "error", err)
		hookProblem(w, http.StatusServiceUnavailable, "the delivery could not be stored; it will be retried")
	}
}

// hookProblem answers an RFC 9457 problem.
func hookProblem(w http.ResponseWriter, status int, detail string) {
	body, _ := json.Marshal(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
