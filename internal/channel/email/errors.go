package email

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"

	"github.com/wneessen/go-mail"

	"github.com/nextflow-dev/nextflow/internal/engine/netguard"
)

// Stage names the step of the SMTP exchange a SendError happened in.
type Stage string

// Stages.
const (
	StageConnect  Stage = "connect"
	StageTLS      Stage = "tls"
	StageGreeting Stage = "greeting"
	StageAuth     Stage = "auth"
	StageMail     Stage = "mail"
	StageRcpt     Stage = "rcpt"
	StageData     Stage = "data"
	StageMessage  Stage = "message"
)

// SendError is a failed send or probe, classified:
//
//   - Temporary: a 4xx / 4.x.x reply, a network error or a timeout; retry
//     with backoff (a soft bounce).
//   - Suppress: a permanent reply about the recipient's address (550 5.1.1
//     at RCPT TO, 5.1.x / 5.2.1 later); the address must be suppressed
//     (a hard bounce).
//   - ConnectionBroken: the connection's settings are wrong (credentials
//     refused, TLS impossible, destination not allowed); every send through
//     it will fail until they are fixed.
//
// Anything else that is not Temporary is a permanent failure of this one
// message.
type SendError struct {
	Stage Stage
	// Code is the SMTP reply code (0 without a reply) and Enhanced the
	// RFC 3463 status ("5.1.1"), when the server gave one.
	Code     int
	Enhanced string
	// Reply is the server's reply text, or the error's when there was no
	// reply.
	Reply            string
	Temporary        bool
	Suppress         bool
	ConnectionBroken bool
	Err              error
}

// Error says in words what failed.
func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString(stageWords[e.Stage])
	if e.Code != 0 {
		fmt.Fprintf(&b, " (%d", e.Code)
		if e.Enhanced != "" {
			b.WriteString(" " + e.Enhanced)
		}
		b.WriteString(")")
	}
	if e.Reply != "" {
		b.WriteString(": " + e.Reply)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

var stageWords = map[Stage]string{
	StageConnect:  "cannot connect to the SMTP server",
	StageTLS:      "TLS handshake failed",
	StageGreeting: "the SMTP server refused the session",
	StageAuth:     "authentication rejected",
	StageMail:     "sender rejected",
	StageRcpt:     "recipient rejected",
	StageData:     "message rejected",
	StageMessage:  "message not valid",
}

// stageError marks an error raised at a known stage by this package's own
// code (the dialer, the authenticator).
type stageError struct {
	stage  Stage
	broken bool
	err    error
}

func (e *stageError) Error() string { return e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

var enhancedRe = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)

// classifyDial turns an error from opening a session (dial, greeting,
// EHLO, STARTTLS, AUTH) into a *SendError.
func classifyDial(err error) *SendError {
	se := &SendError{Err: err, Reply: err.Error()}
	var st *stageError
	var tp *textproto.Error
	switch {
	case errors.As(err, &st):
		se.Stage, se.Reply = st.stage, st.err.Error()
		se.ConnectionBroken = st.broken || errors.Is(err, netguard.ErrBlocked)
		se.Temporary = !se.ConnectionBroken
		return se
	case isTLSError(err):
		se.Stage, se.ConnectionBroken = StageTLS, true
		return se
	case strings.Contains(err.Error(), "does not support STARTTLS"):
		se.Stage, se.ConnectionBroken = StageTLS, true
		se.Reply = "the server does not offer STARTTLS, and the connection requires it (tls=mandatory; choose implicit for port 465)"
		return se
	case errors.As(err, &tp):
		se.Stage = StageGreeting
		if strings.HasPrefix(err.Error(), "SMTP AUTH failed") {
			se.Stage = StageAuth
		}
		se.Code, se.Reply = tp.Code, tp.Msg
		se.Enhanced, se.Reply = splitEnhanced(tp.Msg)
		se.Temporary = tp.Code >= 400 && tp.Code < 500
		se.ConnectionBroken = !se.Temporary
		return se
	case strings.HasPrefix(err.Error(), "SMTP AUTH failed"):
		se.Stage, se.ConnectionBroken = StageAuth, true
		return se
	}
	// EOF, resets and timeouts while talking.
	se.Stage, se.Temporary = StageGreeting, true
	return se
}

// splitEnhanced takes the RFC 3463 code off the front of a reply text.
func splitEnhanced(msg string) (enhanced, rest string) {
	msg = strings.TrimSpace(msg)
	if loc := enhancedRe.FindStringIndex(msg); loc != nil && loc[0] == 0 {
		return msg[:loc[1]], strings.TrimSpace(msg[loc[1]:])
	}
	return "", msg
}

func isTLSError(err error) bool {
	var (
		cv *tls.CertificateVerificationError
		rh tls.RecordHeaderError
		al tls.AlertError
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
	)
	return errors.As(err, &cv) || errors.As(err, &rh) || errors.As(err, &al) || errors.As(err, &ua) ||
		errors.As(err, &he) || errors.As(err, &ci) || strings.HasPrefix(err.Error(), "tls: ")
}

// classifySend turns go-mail's error from sending one message into a
// *SendError (transact's errors are one already).
func classifySend(err error) *SendError {
	var own *SendError
	if errors.As(err, &own) {
		return own
	}
	var me *mail.SendError
	if !errors.As(err, &me) {
		return &SendError{Stage: StageData, Temporary: true, Reply: err.Error(), Err: err}
	}
	se := &SendError{Err: err, Code: me.ErrorCode(), Enhanced: me.EnhancedStatusCode()}
	switch me.Reason {
	case mail.ErrGetSender, mail.ErrGetRcpts, mail.ErrNoUnencoded:
		se.Stage, se.Reply = StageMessage, me.Error()
		return se
	case mail.ErrSMTPMailFrom:
		se.Stage = StageMail
	case mail.ErrSMTPRcptTo:
		se.Stage = StageRcpt
	default:
		se.Stage = StageData
	}
	se.Reply = replyText(me)
	if se.Enhanced == "" {
		se.Enhanced, _ = splitEnhanced(se.Reply)
	} else {
		_, se.Reply = splitEnhanced(se.Reply)
	}
	switch {
	case se.Code >= 500:
		se.Suppress = addressFailure(se.Stage, se.Enhanced)
	case se.Code >= 400:
		se.Temporary = true
	default:
		// No reply: the connection dropped or timed out.
		se.Temporary = true
	}
	return se
}

// addressFailure reports whether a permanent reply condemns the
// recipient's address: RFC 3463 addressing (5.1.x) and mailbox-gone
// (5.2.1) statuses at any stage, and any 5xx to RCPT TO that is not a
// policy or system status (5.7.x relay or sender-policy refusals and 5.3.x
// system problems are the sending side's, not the address's).
func addressFailure(stage Stage, enhanced string) bool {
	m := enhancedRe.FindStringSubmatch(enhanced)
	if m == nil {
		return stage == StageRcpt
	}
	class, subject, detail := m[1], m[2], m[3]
	if class != "5" {
		return stage == StageRcpt
	}
	switch {
	case subject == "1":
		return true
	case subject == "2" && detail == "1":
		return true
	case stage == StageRcpt:
		return subject != "7" && subject != "3" && subject != "4" && subject != "5"
	}
	return false
}

// replyText is the server's reply inside a go-mail SendError, without the
// stage prefix and the affected-recipient and Message-ID suffixes.
func replyText(me *mail.SendError) string {
	s := me.Error()
	if i := strings.Index(s, ", affected recipient(s):"); i >= 0 {
		s = s[:i]
	} else if i := strings.Index(s, ", affected message ID:"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	if code := me.ErrorCode(); code != 0 {
		s = strings.TrimPrefix(strings.TrimSpace(s), strconv.Itoa(code))
	}
	s = strings.TrimSpace(s)
	// go-mail quotes the server's text.
	if u, err := strconv.Unquote(s); err == nil {
		s = u
	}
	return s
}
