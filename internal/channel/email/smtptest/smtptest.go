// Package smtptest runs a real SMTP server in process (emersion/go-smtp)
// for tests and benchmarks: it records the messages it accepts, can answer
// scripted replies per recipient (550 5.1.1, 451 4.7.1…), and speaks
// STARTTLS or implicit TLS with a self-signed certificate, with or without
// AUTH PLAIN.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TLS modes of a Server.
const (
	TLSNone     = "none"
	TLSStartTLS = "starttls"
	TLSImplicit = "implicit"
)

// Options configures a Server.
type Options struct {
	// TLS is TLSNone (default), TLSStartTLS or TLSImplicit.
	TLS string
	// Username and Password, when set, make AUTH PLAIN required before
	// MAIL FROM; other credentials get 535 5.7.8.
	Username, Password string
	// Discard counts messages without keeping them (benchmarks).
	Discard bool
}

// Reply is an SMTP reply the server gives instead of accepting.
type Reply struct {
	Code     int
	Enhanced [3]int
	Message  string
	// AtData answers at the end of DATA instead of at RCPT TO.
	AtData bool
}

// Common replies.
var (
	// UserUnknown is a hard bounce.
	UserUnknown = Reply{Code: 550, Enhanced: [3]int{5, 1, 1}, Message: "User unknown"}
	// TryLater is a soft bounce (greylisting).
	TryLater = Reply{Code: 451, Enhanced: [3]int{4, 7, 1}, Message: "Greylisted, try again later"}
)

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte
	// Session counts the connections: messages sent over one connection
	// share it.
	Session int64
	// At is when the server accepted the message (the end of DATA).
	At time.Time
}

// Server is a running SMTP server on 127.0.0.1.
type Server struct {
	// Host and Port are where it listens; Addr is host:port.
	Host string
	Port int
	Addr string
	// ClientTLS trusts the server's certificate.
	ClientTLS *tls.Config

	opts     Options
	srv      *smtp.Server
	ln       net.Listener
	mu       sync.Mutex
	messages []Message
	script   map[string][]Reply
	always   map[string]Reply
	count    atomic.Int64
	sessions atomic.Int64
	logouts  atomic.Int64
	notify   chan struct{}
}

// Start listens on a free loopback port and serves until Close.
func Start(opts Options) (*Server, error) {
	if opts.TLS == "" {
		opts.TLS = TLSNone
	}
	s := &Server{opts: opts, script: map[string][]Reply{}, always: map[string]Reply{}, notify: make(chan struct{}, 1)}
	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "localhost"
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.MaxRecipients = 50
	var err error
	var cert tls.Certificate
	if opts.TLS != TLSNone {
		var pool *x509.CertPool
		cert, pool, err = selfSigned()
		if err != nil {
			return nil, err
		}
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.ClientTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	} else {
		s.srv.AllowInsecureAuth = true
	}
	switch opts.TLS {
	case TLSNone, TLSStartTLS:
		s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	case TLSImplicit:
		s.ln, err = tls.Listen("tcp", "127.0.0.1:0", s.srv.TLSConfig)
	default:
		return nil, fmt.Errorf("smtptest: unknown TLS mode %q", opts.TLS)
	}
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen: %w", err)
	}
	s.Addr = s.ln.Addr().String()
	host, port, _ := net.SplitHostPort(s.Addr)
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	go func() { _ = s.srv.Serve(s.ln) }()
	return s, nil
}

// Close stops the server and its connections.
func (s *Server) Close() error {
	// The listener is closed here too: Serve may not have registered it
	// with the server yet.
	_ = s.ln.Close()
	// When Serve had registered it, the server closes it again: that
	// second close's net.ErrClosed is not a failure.
	if err := s.srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// Script makes the server answer rcpt (an address, any case) with replies,
// one per attempt, before accepting again.
func (s *Server) Script(rcpt string, replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(rcpt)
	s.script[k] = append(s.script[k], replies...)
}

// Always makes the server answer every attempt to rcpt with r.
func (s *Server) Always(rcpt string, r Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always[strings.ToLower(rcpt)] = r
}

// Messages returns the messages accepted so far (none with Discard).
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Count is the number of messages accepted.
func (s *Server) Count() int64 { return s.count.Load() }

// Sessions is the number of connections accepted.
func (s *Server) Sessions() int64 { return s.sessions.Load() }

// Open is the number of connections open now.
func (s *Server) Open() int64 { return s.sessions.Load() - s.logouts.Load() }

// WaitCount waits until n messages were accepted or timeout passes, and
// reports whether they were.
func (s *Server) WaitCount(n int64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for s.Count() < n {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		select {
		case <-s.notify:
		case <-time.After(min(left, 50*time.Millisecond)):
		}
	}
	return true
}

// next returns the scripted reply for rcpt at the given point, if any.
func (s *Server) next(rcpt string, atData bool) *Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(rcpt)
	if r, ok := s.always[k]; ok && r.AtData == atData {
		return &r
	}
	if q := s.script[k]; len(q) > 0 && q[0].AtData == atData {
		s.script[k] = q[1:]
		return &q[0]
	}
	return nil
}

func (r *Reply) err() error {
	return &smtp.SMTPError{Code: r.Code, EnhancedCode: smtp.EnhancedCode(r.Enhanced), Message: r.Message}
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, id: s.sessions.Add(1)}, nil
}

type session struct {
	s      *Server
	id     int64
	authed bool
	from   string
	to     []string
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.opts.Username || pass != ss.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.opts.Username != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if r := ss.s.next(to, false); r != nil {
		return r.err()
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	for _, to := range ss.to {
		if r := ss.s.next(to, true); r != nil {
			return r.err()
		}
	}
	if !ss.s.opts.Discard {
		ss.s.mu.Lock()
		ss.s.messages = append(ss.s.messages, Message{From: ss.from, To: append([]string(nil), ss.to...), Data: data, Session: ss.id, At: time.Now()})
		ss.s.mu.Unlock()
	}
	ss.s.count.Add(1)
	select {
	case ss.s.notify <- struct{}{}:
	default:
	}
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error {
	ss.s.logouts.Add(1)
	return nil
}

// selfSigned makes a certificate for 127.0.0.1 and localhost and a pool
// that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("smtptest: key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "smtptest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("smtptest: certificate: %w", err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("smtptest: certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: parsed}, pool, nil
}

// Parsed is a message read back: its headers and its body parts in order.
type Parsed struct {
	Header mail.Header
	// Parts are the leaf parts, in order, with their media type and
	// decoded body.
	Parts []Part
	// ContentType is the top-level media type (multipart/alternative…).
	ContentType string
}

// Part is one body part.
type Part struct {
	ContentType string
	Body        string
}

// Parse reads m's headers and body parts, decoding quoted-printable and
// base64.
func (m Message) Parse() (*Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return nil, fmt.Errorf("parse message: %w", err)
	}
	p := &Parsed{Header: msg.Header}
	ct, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("content type: %w", err)
	}
	p.ContentType = ct
	if err := readParts(p, ct, params, msg.Header.Get("Content-Transfer-Encoding"), msg.Body); err != nil {
		return nil, err
	}
	return p, nil
}

func readParts(p *Parsed, ct string, params map[string]string, cte string, body io.Reader) error {
	if strings.HasPrefix(ct, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			pct, pparams, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
			if err != nil {
				return fmt.Errorf("part content type: %w", err)
			}
			if err := readParts(p, pct, pparams, part.Header.Get("Content-Transfer-Encoding"), part); err != nil {
				return err
			}
		}
	}
	var r io.Reader = body
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64Reader(body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("part body: %w", err)
	}
	p.Parts = append(p.Parts, Part{ContentType: ct, Body: string(b)})
	return nil
}

// Part returns the body of the first part of media type ct.
func (p *Parsed) Part(ct string) (string, bool) {
	for _, x := range p.Parts {
		if x.ContentType == ct {
			return x.Body, true
		}
	}
	return "", false
}
