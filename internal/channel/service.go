package channel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/tmpl"
)

// Options configures a Service.
type Options struct {
	// PublicURL is the server's public base URL; inbound webhook URLs of
	// WhatsApp and Messenger connections are formed under it.
	PublicURL string
	// Templates renders previews and checks templates (default: a bounded
	// engine with tmpl's defaults).
	Templates *tmpl.Engine
	// ProbeTimeout bounds one connection test (default 15 s).
	ProbeTimeout time.Duration
	Logger       *slog.Logger
}

// Service manages channel connections and message templates.
type Service struct {
	st      store.Store
	kr      *secret.Keyring
	opts    Options
	log     *slog.Logger
	mu      sync.RWMutex
	probers map[domain.ChannelKind]Prober
}

// New builds the service over a store and the process keyring.
func New(st store.Store, kr *secret.Keyring, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Templates == nil {
		opts.Templates = tmpl.New(tmpl.Options{})
	}
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = 15 * time.Second
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	return &Service{st: st, kr: kr, opts: opts, log: opts.Logger, probers: map[domain.ChannelKind]Prober{}}
}

// RegisterProber sets the connection test of a channel kind (the app
// wires the senders' probes here).
func (s *Service) RegisterProber(kind domain.ChannelKind, p Prober) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.probers[kind] = p
}

// Input creates or changes a connection. On update nil fields keep their
// value; a secret missing from Secrets keeps its value and one set to ""
// is removed.
type Input struct {
	Kind    domain.ChannelKind
	Name    *string
	Config  *Config
	SMTPURL *string
	Secrets map[string]string
}

// View is a connection as the API shows it: no secret values, which
// secrets are set, and the inbound webhook URL of a Meta connection.
type View struct {
	Connection *domain.ChannelConnection
	Config     Config
	WebhookURL string
}

func (s *Service) view(c *domain.ChannelConnection) (*View, error) {
	v := &View{Connection: c}
	if err := json.Unmarshal(c.Config, &v.Config); err != nil {
		return nil, fmt.Errorf("decode config of channel %s: %w", c.ID, err)
	}
	v.WebhookURL = s.WebhookURL(c.Kind, c.ID)
	return v, nil
}

// WebhookURL is where Meta delivers a WhatsApp or Messenger connection's
// webhooks (empty for email).
func (s *Service) WebhookURL(kind domain.ChannelKind, id uuid.UUID) string {
	switch kind {
	case domain.ChannelWhatsApp, domain.ChannelMessenger:
		return s.opts.PublicURL + "/hooks/" + string(kind) + "/" + id.String()
	}
	return ""
}

// prepare validates in against the stored connection (nil on create) and
// returns the name, config and secrets to store.
func prepare(kind domain.ChannelKind, in *Input, old *domain.ChannelConnection, oldCfg Config, oldSecrets map[string]string) (string, Config, map[string]string, error) {
	name := ""
	if old != nil {
		name = old.Name
	}
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	if name == "" {
		return "", Config{}, nil, invalid("name", "is required")
	}
	if err := checkText("name", name, MaxNameLen); err != nil {
		return "", Config{}, nil, err
	}
	cfg := oldCfg
	if in.Config != nil {
		cfg = *in.Config
	}
	if err := checkSecrets(kind, in.Secrets); err != nil {
		return "", Config{}, nil, err
	}
	secrets := map[string]string{}
	for k, v := range oldSecrets {
		secrets[k] = v
	}
	if in.SMTPURL != nil && *in.SMTPURL != "" {
		if kind != domain.ChannelEmail {
			return "", Config{}, nil, invalid("config.smtpUrl", "applies to email connections only")
		}
		pw, err := ParseSMTPURL(*in.SMTPURL, &cfg)
		if err != nil {
			return "", Config{}, nil, err
		}
		if pw != "" {
			secrets[SecretPassword] = pw
		}
	}
	for k, v := range in.Secrets {
		if v == "" {
			delete(secrets, k)
		} else {
			secrets[k] = v
		}
	}
	cfg, err := normalize(kind, cfg)
	if err != nil {
		return "", Config{}, nil, err
	}
	for _, r := range requiredSecrets(kind) {
		if secrets[r] == "" {
			return "", Config{}, nil, invalid("secrets."+r, "is required for a %s connection", kind)
		}
	}
	if kind == domain.ChannelEmail && cfg.TLS == TLSNone && secrets[SecretPassword] != "" {
		return "", Config{}, nil, invalid("config.tls", "none would send the password in clear: choose mandatory, implicit or opportunistic")
	}
	return name, cfg, secrets, nil
}

func (s *Service) seal(tenantID, id uuid.UUID, secrets map[string]string) ([]byte, string, []string, error) {
	pt, err := json.Marshal(secrets)
	if err != nil {
		return nil, "", nil, fmt.Errorf("encode secrets: %w", err)
	}
	ct, keyID, err := s.kr.Seal(tenantID, id, pt)
	if err != nil {
		return nil, "", nil, fmt.Errorf("seal secrets of channel %s: %w", id, err)
	}
	names := make([]string, 0, len(secrets))
	for k := range secrets {
		names = append(names, k)
	}
	sort.Strings(names)
	return ct, keyID, names, nil
}

func (s *Service) open(c *domain.ChannelConnection) (map[string]string, error) {
	pt, err := s.kr.Open(c.TenantID, c.ID, c.KeyID, c.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("open secrets of channel %s: %w", c.ID, err)
	}
	out := map[string]string{}
	if err := json.Unmarshal(pt, &out); err != nil {
		return nil, fmt.Errorf("decode secrets of channel %s: %w", c.ID, err)
	}
	return out, nil
}

// CreateTx validates and stores a new connection in tx. A taken name is
// store.ErrConflict; bad input an *InvalidError.
func (s *Service) CreateTx(ctx context.Context, tx store.Tx, tenantID uuid.UUID, in *Input, createdBy *uuid.UUID) (*View, error) {
	if !in.Kind.Valid() {
		return nil, invalid("kind", "must be one of email, whatsapp, messenger")
	}
	name, cfg, secrets, err := prepare(in.Kind, in, nil, Config{}, nil)
	if err != nil {
		return nil, err
	}
	id := domain.NewID()
	ct, keyID, names, err := s.seal(tenantID, id, secrets)
	if err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(cfg) // a Config always marshals
	c, err := tx.ChannelInsert(ctx, &store.ChannelInsertParams{TenantID: tenantID, ID: id, Kind: in.Kind, Name: name,
		Config: raw, SecretNames: names, Ciphertext: ct, KeyID: keyID, CreatedBy: createdBy})
	if err != nil {
		return nil, err
	}
	return s.view(c)
}

// UpdateTx changes a connection in tx (its kind stays; in.Kind is
// ignored). Its status goes back to untested.
func (s *Service) UpdateTx(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID, in *Input) (*View, error) {
	old, err := tx.ChannelGetByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	var oldCfg Config
	if err := json.Unmarshal(old.Config, &oldCfg); err != nil {
		return nil, fmt.Errorf("decode config of channel %s: %w", id, err)
	}
	oldSecrets, err := s.open(old)
	if err != nil {
		return nil, err
	}
	name, cfg, secrets, err := prepare(old.Kind, in, old, oldCfg, oldSecrets)
	if err != nil {
		return nil, err
	}
	ct, keyID, names, err := s.seal(tenantID, id, secrets)
	if err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(cfg) // a Config always marshals
	c, err := tx.ChannelUpdate(ctx, &store.ChannelUpdateParams{TenantID: tenantID, ID: id, Name: name, Config: raw,
		SecretNames: names, Ciphertext: ct, KeyID: keyID})
	if err != nil {
		return nil, err
	}
	return s.view(c)
}

// GetTx returns a connection's view.
func (s *Service) GetTx(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*View, error) {
	c, err := tx.ChannelGetByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return s.view(c)
}

// ListTx returns a tenant's connections (of one kind when kind is set).
func (s *Service) ListTx(ctx context.Context, tx store.Tx, tenantID uuid.UUID, kind domain.ChannelKind) ([]*View, error) {
	list, err := tx.ChannelList(ctx, tenantID, kind)
	if err != nil {
		return nil, err
	}
	out := make([]*View, 0, len(list))
	for i := range list {
		v, err := s.view(&list[i])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Resolve opens a tenant's connection in tx for a sender or a probe.
func (s *Service) Resolve(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID) (*Resolved, error) {
	c, err := tx.ChannelGetByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return s.resolve(c)
}

func (s *Service) resolve(c *domain.ChannelConnection) (*Resolved, error) {
	var cfg Config
	if err := json.Unmarshal(c.Config, &cfg); err != nil {
		return nil, fmt.Errorf("decode config of channel %s: %w", c.ID, err)
	}
	secrets, err := s.open(c)
	if err != nil {
		return nil, err
	}
	return &Resolved{ID: c.ID, TenantID: c.TenantID, Kind: c.Kind, Name: c.Name, Config: cfg, Secrets: secrets}, nil
}

// MarkFailing records in tx that the provider refused a connection (a
// sender found its token expired), with a message for the user.
func (s *Service) MarkFailing(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID, message string) error {
	_, err := tx.ChannelSetStatus(ctx, &store.ChannelSetStatusParams{TenantID: tenantID, ID: id,
		Status: domain.ChannelFailing, Message: clip(message), TestedAt: time.Now()})
	return err
}

// clip bounds a status message, at a rune boundary.
func clip(s string) string {
	if len(s) <= maxStatusMsgBytes {
		return s
	}
	s = s[:maxStatusMsgBytes]
	for len(s) > 0 && !utf8ValidSuffix(s) {
		s = s[:len(s)-1]
	}
	return s
}

func utf8ValidSuffix(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// Test runs the connection's probe outside any transaction and records
// the result: ok, or failing with the probe's message. The returned
// view carries the new status.
func (s *Service) Test(ctx context.Context, tenantID, id uuid.UUID) (*View, error) {
	var r *Resolved
	if err := s.st.Read(ctx, tenantID, func(tx store.Tx) error {
		var err error
		r, err = s.Resolve(ctx, tx, tenantID, id)
		return err
	}); err != nil {
		return nil, err
	}
	s.mu.RLock()
	probe := s.probers[r.Kind]
	s.mu.RUnlock()
	status, msg := domain.ChannelOK, "connected"
	if probe == nil {
		status, msg = domain.ChannelFailing, ErrNoProber.Error()
	} else {
		pctx, cancel := context.WithTimeout(ctx, s.opts.ProbeTimeout)
		err := probe(pctx, r)
		cancel()
		if err != nil {
			status, msg = domain.ChannelFailing, err.Error()
			if errors.Is(err, context.DeadlineExceeded) && !strings.Contains(msg, "timed out") {
				msg = "the provider did not answer within " + s.opts.ProbeTimeout.String()
			}
			s.log.InfoContext(ctx, "channel test failed", "tenant", tenantID, "channel", id, "kind", r.Kind)
		}
	}
	var v *View
	err := s.st.InTx(ctx, tenantID, func(tx store.Tx) error {
		c, err := tx.ChannelSetStatus(ctx, &store.ChannelSetStatusParams{TenantID: tenantID, ID: id, Status: status,
			Message: clip(msg), TestedAt: time.Now()})
		if err != nil {
			return err
		}
		v, err = s.view(c)
		return err
	})
	return v, err
}

// Rotate re-seals every connection's secrets under the keyring's current
// key and reports how many it re-sealed and how many it left (sealed
// under the current key already, or changed meanwhile).
func (s *Service) Rotate(ctx context.Context) (resealed, skipped int, err error) {
	after := uuid.Nil
	for {
		var page []domain.ChannelConnection
		if err := s.st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
			var err error
			page, err = tx.ChannelListAfter(ctx, after, 200)
			return err
		}); err != nil {
			return resealed, skipped, fmt.Errorf("list channels: %w", err)
		}
		for i := range page {
			c := &page[i]
			if c.KeyID == s.kr.CurrentKeyID() {
				skipped++
				continue
			}
			pt, err := s.kr.Open(c.TenantID, c.ID, c.KeyID, c.Ciphertext)
			if err != nil {
				return resealed, skipped, fmt.Errorf("open secrets of channel %s: %w", c.ID, err)
			}
			ct, keyID, err := s.kr.Seal(c.TenantID, c.ID, pt)
			if err != nil {
				return resealed, skipped, fmt.Errorf("seal secrets of channel %s: %w", c.ID, err)
			}
			var done bool
			if err := s.st.InTx(ctx, uuid.Nil, func(tx store.Tx) error {
				done, err = tx.ChannelReseal(ctx, &store.ChannelResealParams{TenantID: c.TenantID, ID: c.ID,
					ExpectedKeyID: c.KeyID, Ciphertext: ct, KeyID: keyID})
				return err
			}); err != nil {
				return resealed, skipped, fmt.Errorf("reseal channel %s: %w", c.ID, err)
			}
			if done {
				resealed++
			} else {
				skipped++
			}
		}
		if len(page) < 200 {
			return resealed, skipped, nil
		}
		after = page[len(page)-1].ID
	}
}

// SecretsSet lists a connection's secrets that are set, in the order of
// SecretNames.
func SecretsSet(c *domain.ChannelConnection) []string {
	out := []string{}
	for _, n := range SecretNames(c.Kind) {
		if slices.Contains(c.SecretNames, n) {
			out = append(out, n)
		}
	}
	return out
}
