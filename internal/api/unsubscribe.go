package api

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/nextflow-dev/nextflow/internal/channel/unsubscribe"
)

// UnsubscribePath is the one-click unsubscribe link put in messages'
// List-Unsubscribe header, under the server's base URL.
const UnsubscribePath = "/u/{token}"

// UnsubscribePrefix is the path prefix of UnsubscribePath.
const UnsubscribePrefix = "/u/"

// Unsubscriber applies an unsubscribe token (unsubscribe.Service).
type Unsubscriber interface {
	Unsubscribe(ctx context.Context, token string) (*unsubscribe.Result, error)
}

// MountUnsubscribe serves the one-click unsubscribe links: POST (RFC 8058:
// the mailbox provider posts List-Unsubscribe=One-Click; also the
// confirmation page's button) unsubscribes at once, without a session or a
// CSRF token, the signed token being the authority; GET shows a small page
// with a button that posts, so that link scanners following GETs
// unsubscribe nobody. A forged or altered token gets 404 and nothing is
// written. They are outside the OpenAPI document: the caller is a mailbox
// provider or a recipient's browser, not an API client.
func (s *Server) MountUnsubscribe(u Unsubscriber) {
	h := &unsubscribeHandler{u: u, log: s.log}
	s.mux.HandleFunc("GET "+UnsubscribePath, h.page)
	s.mux.HandleFunc("POST "+UnsubscribePath, h.post)
}

type unsubscribeHandler struct {
	u   Unsubscriber
	log *slog.Logger
}

var unsubscribePage = template.Must(template.New("unsubscribe").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #444;background:#222;color:#fff;cursor:pointer}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Text}}</p>
{{if .Form}}<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>{{end}}
</body></html>`))

type unsubscribeView struct {
	Title, Text string
	Form        bool
}

func (h *unsubscribeHandler) write(w http.ResponseWriter, status int, v unsubscribeView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	w.WriteHeader(status)
	_ = unsubscribePage.Execute(w, v)
}

var invalidLink = unsubscribeView{Title: "Link not valid", Text: "This unsubscribe link is not valid. Use the link in the message you received, unchanged."}

func (h *unsubscribeHandler) page(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if len(token) > unsubscribe.MaxTokenLen || strings.ContainsAny(token, "/ ") {
		h.write(w, http.StatusNotFound, invalidLink)
		return
	}
	h.write(w, http.StatusOK, unsubscribeView{Title: "Unsubscribe",
		Text: "Press the button to stop receiving these messages.", Form: true})
}

func (h *unsubscribeHandler) post(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	// RFC 8058 names the body; any POST to a valid link unsubscribes, the
	// body is read only so that a bad one is refused.
	if err := r.ParseForm(); err != nil {
		h.write(w, http.StatusBadRequest, unsubscribeView{Title: "Bad request", Text: "The form body could not be read."})
		return
	}
	if v := r.PostForm.Get("List-Unsubscribe"); v != "" && v != "One-Click" {
		h.write(w, http.StatusBadRequest, unsubscribeView{Title: "Bad request", Text: "List-Unsubscribe must be One-Click."})
		return
	}
	_, err := h.u.Unsubscribe(r.Context(), r.PathValue("token"))
	switch {
	case errors.Is(err, unsubscribe.ErrInvalid):
		h.write(w, http.StatusNotFound, invalidLink)
	case err != nil:
		h.log.ErrorContext(r.Context(), "unsubscribe", "error", err)
		h.write(w, http.StatusServiceUnavailable, unsubscribeView{Title: "Try again", Text: "Your request could not be saved. Try again in a moment."})
	default:
		h.write(w, http.StatusOK, unsubscribeView{Title: "Unsubscribed", Text: "You will receive no more of these messages."})
	}
}
