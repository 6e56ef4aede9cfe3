package email_test

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/email"
)

// rawServer is a scripted SMTP server that shows how the client talks:
// with pipelining off it records any command that arrived before the
// reply to the one before it; with hold on it answers MAIL FROM, RCPT TO
// and DATA only once all three have arrived, so a client that waits for
// each reply never gets one.
type rawServer struct {
	ln         net.Listener
	pipelining bool
	hold       bool
	// drop closes the connection, without a word, after each message.
	drop bool
	replies

	mu      sync.Mutex
	early   []string // commands that came before the previous reply
	lines   []string // every command line, in order
	bodies  int      // messages whose data was read
	session int
}

// replies are a rawServer's answers to MAIL FROM and RCPT TO ("250 …
// Ok" when empty) and to DATA ("354 Go on" when empty).
type replies struct{ mail, rcpt, data string }

func startRaw(t *testing.T, s *rawServer) (*email.Sender, email.Config) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.ln = ln
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	sender, err := email.NewSender(email.Options{Allow: []string{"127.0.0.1"}, Timeout: 2 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sender.Close() })
	cfg := email.Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "Acme <hello@acme.test>", TLS: email.TLSNone}
	return sender, cfg
}

func (s *rawServer) serve(c net.Conn) {
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	reply := func(lines ...string) {
		for _, l := range lines {
			_, _ = w.WriteString(l + "\r\n")
		}
		_ = w.Flush()
	}
	s.mu.Lock()
	s.session++
	s.mu.Unlock()
	reply("220 raw ESMTP")
	var held []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		s.mu.Lock()
		s.lines = append(s.lines, line)
		if !s.pipelining && r.Buffered() > 0 {
			s.early = append(s.early, line)
		}
		s.mu.Unlock()
		var out string
		switch {
		case verb == "EHLO":
			ext := []string{"250-raw", "250-8BITMIME", "250 ENHANCEDSTATUSCODES"}
			if s.pipelining {
				ext = []string{"250-raw", "250-PIPELINING", "250-8BITMIME", "250 ENHANCEDSTATUSCODES"}
			}
			reply(ext...)
			continue
		case verb == "MAIL":
			out = or(s.mail, "250 2.1.0 Ok")
		case verb == "RCPT":
			out = or(s.rcpt, "250 2.1.5 Ok")
		case verb == "DATA":
			out = or(s.data, "354 Go on")
		case verb == "QUIT":
			reply("221 2.0.0 Bye")
			return
		default:
			reply("250 2.0.0 Ok")
			continue
		}
		if s.hold {
			held = append(held, out)
			if verb != "DATA" {
				continue
			}
			reply(held...)
			held = nil
		} else {
			reply(out)
		}
		if verb == "DATA" && strings.HasPrefix(out, "354") {
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			s.mu.Lock()
			s.bodies++
			s.mu.Unlock()
			reply("250 2.0.0 Ok: queued as RAW1")
			if s.drop {
				return
			}
		}
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (s *rawServer) seen() (lines, early []string, bodies, sessions int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...), append([]string(nil), s.early...), s.bodies, s.session
}

func TestSendPipelinesTheEnvelope(t *testing.T) {
	t.Parallel()
	// The server answers nothing before DATA has arrived: a client that
	// waits for the reply to MAIL FROM times out.
	srv := &rawServer{pipelining: true, hold: true}
	sender, cfg := startRaw(t, srv)
	for i := range 3 {
		res, err := sender.Send(ctx(t), cfg, message("ada@example.test", string(rune('a'+i))))
		require.NoError(t, err)
		require.Equal(t, "2.0.0 Ok: queued as RAW1", res.Response)
	}
	lines, _, bodies, sessions := srv.seen()
	require.Equal(t, 3, bodies)
	require.Equal(t, 1, sessions, "one connection")
	require.Contains(t, lines, "MAIL FROM:<hello@acme.test> BODY=8BITMIME")
	require.Contains(t, lines, "RCPT TO:<ada@example.test>")
}

func TestSendWithoutPipeliningWaitsForEachReply(t *testing.T) {
	t.Parallel()
	srv := &rawServer{}
	sender, cfg := startRaw(t, srv)
	res, err := sender.Send(ctx(t), cfg, message("ada@example.test", "k"))
	require.NoError(t, err)
	require.Equal(t, "2.0.0 Ok: queued as RAW1", res.Response)
	lines, early, bodies, _ := srv.seen()
	require.Equal(t, 1, bodies)
	require.Empty(t, early, "no command before the reply to the one before")
	require.Contains(t, lines, "DATA")
}

func TestSendPipelinedRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		replies       replies
		stage         email.Stage
		code          int
		suppress, tmp bool
		endsData      bool
	}{
		{"sender refused", replies{mail: "553 5.7.1 Sender not allowed", rcpt: "503 5.5.1 Need MAIL", data: "503 5.5.1 Need RCPT"},
			email.StageMail, 553, false, false, false},
		{"recipient unknown", replies{rcpt: "550 5.1.1 User unknown", data: "554 5.5.1 No valid recipients"},
			email.StageRcpt, 550, true, false, false},
		{"recipient greylisted", replies{rcpt: "451 4.7.1 Try later", data: "554 5.5.1 No valid recipients"},
			email.StageRcpt, 451, false, true, false},
		// A server that accepts DATA after refusing every recipient gets
		// an empty message's dot, and the refusal is reported.
		{"data accepted after a refusal", replies{rcpt: "550 5.1.1 User unknown"},
			email.StageRcpt, 550, true, false, true},
		{"data refused", replies{data: "451 4.3.0 Queue full"}, email.StageData, 451, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := &rawServer{replies: tc.replies, pipelining: true, hold: true}
			sender, cfg := startRaw(t, srv)
			_, err := sender.Send(ctx(t), cfg, message("ada@example.test", "k"))
			se := sendErr(t, err)
			require.Equal(t, tc.stage, se.Stage, se.Error())
			require.Equal(t, tc.code, se.Code)
			require.Equal(t, tc.suppress, se.Suppress)
			require.Equal(t, tc.tmp, se.Temporary)
			_, _, bodies, _ := srv.seen()
			require.Equal(t, tc.endsData, bodies == 1, "the accepted DATA is ended")
		})
	}
}

func TestSendPipelinedOverADroppedConnectionSendsOverANewOne(t *testing.T) {
	t.Parallel()
	// The server drops each connection after its message: the next send
	// finds its pooled connection dead at MAIL FROM and goes once more
	// over a new one.
	srv := &rawServer{pipelining: true, drop: true}
	sender, cfg := startRaw(t, srv)
	for i := range 3 {
		_, err := sender.Send(ctx(t), cfg, message("ada@example.test", string(rune('a'+i))))
		require.NoError(t, err)
	}
	_, _, bodies, sessions := srv.seen()
	require.Equal(t, 3, bodies)
	require.Equal(t, 3, sessions)
}
