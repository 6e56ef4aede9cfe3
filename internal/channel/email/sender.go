// Package email sends a tenant's email over SMTP (go-mail): connection
// settings (Config, ParseURL), the message as mailbox providers expect it
// (multipart/alternative text then HTML, preheader, stable Message-ID,
// RFC 8058 one-click List-Unsubscribe), pooled connections per server,
// the envelope pipelined (RFC 2920) when the server offers PIPELINING,
// replies classified into retry, hard bounce and broken connection
// (SendError), and a connection test (Probe).
//
// The SMTP host is written by tenants, so every connection is dialled
// through the SSRF guard (netguard): internal addresses are refused unless
// the operator allow-lists them, and only SMTP ports are reachable.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/nextflow-dev/nextflow/internal/engine/netguard"
	"github.com/nextflow-dev/nextflow/internal/tracing"
)

// DefaultPorts are the SMTP ports a tenant's server may listen on (relay,
// implicit TLS, submission, the common alternative); allow-listed
// destinations may use any port.
var DefaultPorts = []uint16{25, 465, 587, 2525}

// Defaults of Options.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultMaxConns       = 4
	DefaultIdleTimeout    = 30 * time.Second
	DefaultMaxMsgsPerConn = 100
)

// Options configures a Sender. Zero fields take defaults.
type Options struct {
	// Allow lists hosts, IPs and CIDRs the SSRF guard lets through
	// (NEXTFLOW_HTTP_ALLOW): a relay on the operator's own network, or
	// 127.0.0.1 for a local test server.
	Allow []string
	// Ports are the destination ports allowed besides allow-listed
	// destinations (DefaultPorts); AnyPort allows every port.
	Ports   []uint16
	AnyPort bool
	// TLSConfig is the base TLS configuration (RootCAs for a private CA);
	// its ServerName is set per connection.
	TLSConfig *tls.Config
	// Timeout bounds dialling and each SMTP command (DefaultTimeout).
	Timeout time.Duration
	// MaxConns bounds the connections open to one server with one set of
	// credentials (DefaultMaxConns); sends beyond it wait.
	MaxConns int
	// IdleTimeout closes a pooled connection unused this long
	// (DefaultIdleTimeout).
	IdleTimeout time.Duration
	// MaxMsgsPerConn closes a connection after this many messages, as
	// servers limit it (DefaultMaxMsgsPerConn).
	MaxMsgsPerConn int
	// HELO is the name given in EHLO (the machine's host name).
	HELO   string
	Logger *slog.Logger
}

// Sender sends messages over pooled SMTP connections. It is safe for
// concurrent use; Close it to close the connections.
type Sender struct {
	opts   Options
	guard  *netguard.Guard
	log    *slog.Logger
	mu     sync.Mutex
	pools  map[transportKey]*pool
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

// transportKey identifies a pool: the same server, credentials and TLS
// mode share connections.
type transportKey struct {
	host, user, pass string
	port             int
	tls              TLSMode
}

// NewSender builds a sender and starts closing idle connections in the
// background.
func NewSender(opts Options) (*Sender, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxMsgsPerConn <= 0 {
		opts.MaxMsgsPerConn = DefaultMaxMsgsPerConn
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var gopts []netguard.Option
	switch {
	case opts.AnyPort:
		gopts = append(gopts, netguard.WithAnyPort())
	case len(opts.Ports) > 0:
		gopts = append(gopts, netguard.WithPorts(opts.Ports...))
	default:
		gopts = append(gopts, netguard.WithPorts(DefaultPorts...))
	}
	g, err := netguard.New(opts.Allow, gopts...)
	if err != nil {
		return nil, fmt.Errorf("email sender allow-list: %w", err)
	}
	s := &Sender{opts: opts, guard: g, log: opts.Logger, pools: map[transportKey]*pool{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go s.reap()
	return s, nil
}

// Result is a delivered message.
type Result struct {
	// MessageID is the Message-ID sent, without angle brackets.
	MessageID string
	// Response is the server's reply to the end of DATA (often its queue
	// ID).
	Response string
}

// Send delivers m through the server of cfg, with cfg's From and ReplyTo
// when m has none. A failure is a *SendError (see its fields for retry,
// suppression and broken connections), or a *FieldError for a message
// that cannot be built.
func (s *Sender) Send(ctx context.Context, cfg Config, m Message) (_ Result, err error) {
	ctx, span := tracing.StartCall(ctx, "smtp send", cfg.Host, cfg.Port)
	defer func() { tracing.EndCall(span, err) }()
	if m.From == "" {
		m.From = cfg.From
	}
	if m.ReplyTo == "" {
		m.ReplyTo = cfg.ReplyTo
	}
	if m.UnsubscribeMailto == "" {
		m.UnsubscribeMailto = cfg.UnsubscribeMailto
	}
	msg, err := m.build()
	if err != nil {
		return Result{}, err
	}
	p, err := s.pool(cfg)
	if err != nil {
		return Result{}, err
	}
	// A reused connection may have been dropped by the server since its
	// last use; the message then goes once more over a new one. Nothing
	// was accepted yet when the failure is at MAIL FROM.
	for try := 0; ; try++ {
		pc, err := p.acquire(ctx, try > 0)
		if err != nil {
			return Result{}, err
		}
		reused := pc.sends > 0
		resp, err := p.send(ctx, pc, msg)
		if err == nil {
			p.release(pc, true)
			return Result{MessageID: m.MessageID, Response: resp}, nil
		}
		p.release(pc, false)
		se := classifySend(err)
		if reused && try == 0 && se.Stage == StageMail && se.Temporary {
			s.log.DebugContext(ctx, "smtp connection went stale, sending over a new one", "server", cfg.Addr(), "error", se.Reply)
			continue
		}
		return Result{}, se
	}
}

// Probe tests cfg's server: connect, TLS per cfg.TLS, AUTH when cfg has a
// user name, then QUIT. The error says in words what failed.
func (s *Sender) Probe(ctx context.Context, cfg Config) error {
	cfg, err := cfg.Normalize()
	if err != nil {
		return err
	}
	mc, err := s.client(cfg)
	if err != nil {
		return err
	}
	c, err := mc.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return classifyDial(err)
	}
	if err := c.Quit(); err != nil {
		_ = c.Close()
	}
	return nil
}

// Close closes every pooled connection and stops the reaper. Sends
// running keep their connections until they finish.
func (s *Sender) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	pools := s.pools
	s.pools = map[transportKey]*pool{}
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	for _, p := range pools {
		p.closeIdle(time.Time{})
	}
	return nil
}

// pool returns the pool of cfg's server and credentials.
func (s *Sender) pool(cfg Config) (*pool, error) {
	cfg, err := cfg.Normalize()
	if err != nil {
		return nil, err
	}
	key := cfg.transport()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("email sender is closed")
	}
	if p := s.pools[key]; p != nil {
		return p, nil
	}
	mc, err := s.client(cfg)
	if err != nil {
		return nil, err
	}
	p := &pool{mc: mc, slots: make(chan struct{}, s.opts.MaxConns), maxSends: s.opts.MaxMsgsPerConn,
		timeout: s.opts.Timeout, lastUsed: time.Now()}
	s.pools[key] = p
	return p, nil
}

// client builds the go-mail client (settings only, no connection) of cfg.
func (s *Sender) client(cfg Config) (*mail.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.opts.TLSConfig != nil {
		tc = s.opts.TLSConfig.Clone()
	}
	tc.ServerName = cfg.Host
	policy := mail.TLSMandatory
	switch cfg.TLS {
	case TLSOpportunistic:
		policy = mail.TLSOpportunistic
	case TLSNone:
		policy = mail.NoTLS
	}
	opts := []mail.Option{
		mail.WithPort(cfg.Port), mail.WithTimeout(s.opts.Timeout), mail.WithTLSPolicy(policy),
		mail.WithTLSConfig(tc), mail.WithDialContextFunc(s.dialer(cfg, tc)),
		// Every send is a whole transaction on a connection checked out
		// of the pool: NOOP before and RSET after would only add round
		// trips.
		mail.WithoutNoop(), mail.WithoutRset(),
	}
	if cfg.TLS == TLSImplicit {
		// The dialer does the handshake; this keeps go-mail from asking
		// for STARTTLS on top.
		opts = append(opts, mail.WithSSL())
	}
	if s.opts.HELO != "" {
		opts = append(opts, mail.WithHELO(s.opts.HELO))
	}
	if cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuthCustom(&login{host: cfg.Host, user: cfg.Username, pass: cfg.Password,
			clear: cfg.TLS == TLSNone}))
	}
	mc, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, &SendError{Stage: StageConnect, ConnectionBroken: true, Reply: err.Error(), Err: err}
	}
	return mc, nil
}

// dialer connects through the SSRF guard and, for implicit TLS, does the
// handshake.
func (s *Sender) dialer(cfg Config, tc *tls.Config) mail.DialContextFunc {
	dial := s.guard.DialContext(&net.Dialer{Timeout: s.opts.Timeout, KeepAlive: 30 * time.Second})
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, &stageError{stage: StageConnect, broken: errors.Is(err, netguard.ErrBlocked),
				err: fmt.Errorf("%s: %w", addr, err)}
		}
		if cfg.TLS != TLSImplicit {
			return conn, nil
		}
		t := tls.Client(conn, tc)
		if err := t.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, &stageError{stage: StageTLS, broken: !isTimeout(err), err: err}
		}
		return t, nil
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// reap closes idle connections and forgets unused pools.
func (s *Sender) reap() {
	defer close(s.done)
	t := time.NewTicker(max(s.opts.IdleTimeout/2, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-t.C:
			cutoff := now.Add(-s.opts.IdleTimeout)
			s.mu.Lock()
			pools := make(map[transportKey]*pool, len(s.pools))
			for k, p := range s.pools {
				pools[k] = p
			}
			s.mu.Unlock()
			for k, p := range pools {
				if p.closeIdle(cutoff) {
					s.mu.Lock()
					if s.pools[k] == p && p.unused(cutoff) {
						delete(s.pools, k)
					}
					s.mu.Unlock()
				}
			}
		}
	}
}

// pool holds the connections to one server with one set of credentials.
type pool struct {
	mc    *mail.Client
	slots chan struct{} // one per open connection in use
	// dialMu serialises dials: the authenticator keeps per-exchange
	// state (LOGIN's steps).
	dialMu   sync.Mutex
	maxSends int
	timeout  time.Duration

	mu       sync.Mutex
	idle     []*conn // most recently used last
	lastUsed time.Time
	busy     int
}

type conn struct {
	c *smtp.Client
	// pipelining: the server offers PIPELINING (RFC 2920), so a message
	// goes through transact.
	pipelining bool
	sends      int
	idleFrom   time.Time
}

// acquire returns an idle connection (unless fresh) or dials one, waiting
// for a slot when MaxConns are in use.
func (p *pool) acquire(ctx context.Context, fresh bool) (*conn, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, &SendError{Stage: StageConnect, Temporary: true, Reply: "waiting for a connection: " + ctx.Err().Error(), Err: ctx.Err()}
	}
	p.mu.Lock()
	p.busy++
	p.lastUsed = time.Now()
	if !fresh && len(p.idle) > 0 {
		c := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	p.dialMu.Lock()
	c, err := p.mc.DialToSMTPClientWithContext(ctx)
	p.dialMu.Unlock()
	if err != nil {
		p.release(nil, false)
		return nil, classifyDial(err)
	}
	pipelining, _ := c.Extension("PIPELINING")
	return &conn{c: c, pipelining: pipelining}, nil
}

// send transmits msg over c, cutting the connection when ctx ends, and
// returns the server's reply to the end of DATA. A server that offers
// PIPELINING gets the envelope in one write (transact); another gets
// go-mail's command-by-command exchange.
func (p *pool) send(ctx context.Context, c *conn, msg *mail.Msg) (string, error) {
	stop := context.AfterFunc(ctx, func() { _ = c.c.Close() })
	var resp string
	var err error
	if c.pipelining && msg.Encoding() != mail.NoEncoding.String() {
		resp, err = transact(c.c, p.timeout, msg)
	} else if err = p.mc.SendWithSMTPClient(c.c, msg); err == nil {
		resp = msg.ServerResponse()
	}
	if !stop() && err == nil {
		// The message went through just as the context ended; the
		// connection is closed, but the send stands.
		c.sends = p.maxSends
	}
	c.sends++
	return resp, err
}

// release returns c to the pool when ok and it may take more messages,
// and closes it otherwise; it frees the slot.
func (p *pool) release(c *conn, ok bool) {
	keep := c != nil && ok && c.sends < p.maxSends
	if c != nil && !keep {
		if ok {
			go quit(c.c)
		} else {
			_ = c.c.Close()
		}
	}
	p.mu.Lock()
	if keep {
		c.idleFrom = time.Now()
		p.idle = append(p.idle, c)
	}
	p.busy--
	p.lastUsed = time.Now()
	p.mu.Unlock()
	<-p.slots
}

// closeIdle closes the connections idle since before cutoff (all when
// cutoff is zero) and reports whether none is left idle or busy.
func (p *pool) closeIdle(cutoff time.Time) bool {
	p.mu.Lock()
	var old []*conn
	keep := p.idle[:0]
	for _, c := range p.idle {
		if cutoff.IsZero() || c.idleFrom.Before(cutoff) {
			old = append(old, c)
		} else {
			keep = append(keep, c)
		}
	}
	clear(p.idle[len(keep):])
	p.idle = keep
	empty := len(p.idle) == 0 && p.busy == 0
	p.mu.Unlock()
	for _, c := range old {
		quit(c.c)
	}
	return empty
}

func (p *pool) unused(cutoff time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle) == 0 && p.busy == 0 && p.lastUsed.Before(cutoff)
}

// quit ends a session politely, bounded by a short deadline.
func quit(c *smtp.Client) {
	_ = c.UpdateDeadline(2 * time.Second)
	if err := c.Quit(); err != nil {
		_ = c.Close()
	}
}
