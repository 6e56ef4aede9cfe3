// Package metafake is a local stand-in for Meta's Graph API, for tests and
// benchmarks of the WhatsApp and Messenger channels: it records sends,
// answers with scripted errors, and POSTs signed webhooks (statuses,
// inbound messages) back to the application, with duplicates, reordering
// and retries of non-200 answers as Meta does.
//
// The Server is shared by products. Each product lives in a file of its
// own (whatsapp.go; a Messenger product goes in messenger.go) and
// registers the Graph objects it owns (a phone number ID, a Page ID) with
// s.register, giving a product value that serves their requests:
//
//	POST /{version}/{object-id}/messages  → product.send
//	GET  /{version}/{object-id}           → product.object
//
// Webhook deliveries go through s.deliver, which signs the body with the
// object's app secret and retries as configured.
package metafake

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nextflow-dev/nextflow/internal/channel/metawebhook"
)

// Options configures a Server's webhook deliveries.
type Options struct {
	// Duplicate sends every webhook delivery twice.
	Duplicate bool
	// Reorder sends a message's status webhooks last first (read before
	// delivered before sent).
	Reorder bool
	// Attempts is how many times a delivery answered with a non-2xx
	// status (or not answered) is tried; 3 when zero.
	Attempts int
	// RetryDelay is the pause between attempts; 20 ms when zero.
	RetryDelay time.Duration
	// StatusDelay is the pause before status webhooks of an accepted send.
	StatusDelay time.Duration
}

// product serves the Graph requests for the objects it registered.
type product interface {
	// send serves POST /{version}/{objectID}/messages.
	send(w http.ResponseWriter, r *http.Request, objectID string)
	// object serves GET /{version}/{objectID}.
	object(w http.ResponseWriter, r *http.Request, objectID string)
}

// registration is one Graph object: its product and the webhook it
// delivers to.
type registration struct {
	product    product
	webhookURL string
	appSecret  []byte
}

// Delivery is one attempt of one webhook delivery.
type Delivery struct {
	URL    string
	Body   []byte
	Status int // 0 when the request failed
	Err    string
}

// Server is the fake Graph API. Create it with New and Close it.
type Server struct {
	opts Options
	srv  *httptest.Server
	// ctx ends on Close and stops deliveries still retrying.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	client *http.Client

	mu         sync.Mutex
	objects    map[string]registration
	deliveries []Delivery
	seq        int

	wa *whatsApp
}

// New starts a Server on a local port.
func New(opts Options) *Server {
	if opts.Attempts <= 0 {
		opts.Attempts = 3
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 20 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{opts: opts, ctx: ctx, cancel: cancel, objects: map[string]registration{},
		client: &http.Client{Timeout: 5 * time.Second}}
	s.wa = newWhatsApp(s)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the base URL to configure as the Graph API base.
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server and every delivery in flight.
func (s *Server) Close() {
	s.cancel()
	s.wg.Wait()
	s.srv.Close()
}

// Deliveries returns every webhook delivery attempt so far, in order.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// register makes objectID served by p, its webhooks signed with appSecret
// and POSTed to webhookURL (none when empty).
func (s *Server) register(objectID string, p product, webhookURL string, appSecret []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.objects[objectID] = registration{product: p, webhookURL: webhookURL, appSecret: appSecret}
}

func (s *Server) lookup(objectID string) (registration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reg, ok := s.objects[objectID]
	return reg, ok
}

var pathPattern = regexp.MustCompile(`^/v[0-9]+\.[0-9]+/([^/]+)(/messages)?$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	m := pathPattern.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeError(w, http.StatusNotFound, 100, "Unknown path components: "+r.URL.Path)
		return
	}
	reg, ok := s.lookup(m[1])
	if !ok {
		writeError(w, http.StatusBadRequest, 100,
			fmt.Sprintf("Unsupported request - Object with ID '%s' does not exist", m[1]))
		return
	}
	switch {
	case m[2] != "" && r.Method == http.MethodPost:
		reg.product.send(w, r, m[1])
	case m[2] == "" && r.Method == http.MethodGet:
		reg.product.object(w, r, m[1])
	default:
		writeError(w, http.StatusMethodNotAllowed, 100, "Unsupported method "+r.Method)
	}
}

// writeError writes a Graph error envelope.
func writeError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"message": fmt.Sprintf("(#%d) %s", code, message), "type": "OAuthException", "code": code,
		"error_data": map[string]any{"messaging_product": "whatsapp", "details": message},
		"fbtrace_id": "fake" + randomHex(6),
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// readBody reads a request body of at most 1 MiB.
func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 1<<20))
}

// deliver POSTs each body, in order, to objectID's webhook in the
// background (twice each with Options.Duplicate), after delay.
func (s *Server) deliver(objectID string, delay time.Duration, bodies ...[]byte) {
	reg, ok := s.lookup(objectID)
	if !ok || reg.webhookURL == "" {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if delay > 0 {
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(delay):
			}
		}
		for _, body := range bodies {
			s.post(s.ctx, reg, body)
			if s.opts.Duplicate {
				s.post(s.ctx, reg, body)
			}
		}
	}()
}

// post delivers one body, retrying until a 2xx answer or Options.Attempts
// attempts; it returns the last status (0 when no answer).
func (s *Server) post(ctx context.Context, reg registration, body []byte) int {
	status := 0
	for attempt := 1; attempt <= s.opts.Attempts; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return status
			case <-time.After(s.opts.RetryDelay):
			}
		}
		d := Delivery{URL: reg.webhookURL, Body: body}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, reg.webhookURL, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(metawebhook.SignatureHeader, metawebhook.Sign(reg.appSecret, body))
			var resp *http.Response
			resp, err = s.client.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
				_ = resp.Body.Close()
				d.Status = resp.StatusCode
			}
		}
		if err != nil {
			d.Err = err.Error()
		}
		status = d.Status
		s.mu.Lock()
		s.deliveries = append(s.deliveries, d)
		s.mu.Unlock()
		if status >= 200 && status <= 299 {
			return status
		}
	}
	return status
}

// bearer returns the token of an "Authorization: Bearer" header, or the
// access_token query parameter.
func bearer(r *http.Request) string {
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return t
	}
	return r.URL.Query().Get("access_token")
}
