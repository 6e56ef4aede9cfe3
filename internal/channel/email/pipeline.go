package email

import (
	"errors"
	"net/textproto"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// transact sends msg over c as one pipelined command group (RFC 2920,
// for a server that offers PIPELINING): MAIL FROM, a RCPT TO per
// recipient and DATA go out in one write and their replies are read in
// order; the message and its final dot go out in a second write. go-mail
// waits for each reply before the next command, four writes and four
// reads per message, each a loopback or network round trip. The
// connection is the caller's alone (checked out of its pool) and is
// closed by the caller after any failure, so no RSET is needed. It
// returns the server's reply to the end of DATA; a failure is a
// *SendError.
func transact(c *smtp.Client, timeout time.Duration, msg *mail.Msg) (string, error) {
	from, err := msg.GetSender(false)
	if err != nil {
		return "", &SendError{Stage: StageMessage, Reply: err.Error(), Err: err}
	}
	rcpts, err := msg.GetRecipients()
	if err != nil {
		return "", &SendError{Stage: StageMessage, Reply: err.Error(), Err: err}
	}
	for _, a := range append([]string{from}, rcpts...) {
		if strings.ContainsAny(a, "\r\n") {
			err := errors.New("an address contains a line break")
			return "", &SendError{Stage: StageMessage, Reply: err.Error(), Err: err}
		}
	}
	if err := c.UpdateDeadline(timeout); err != nil {
		return "", replyError(StageMail, err)
	}
	if err := writeEnvelope(c, from, rcpts); err != nil {
		return "", replyError(StageMail, err)
	}
	if err := readEnvelope(c, len(rcpts)); err != nil {
		return "", err
	}
	dw := c.Text.DotWriter()
	if _, err := msg.WriteTo(dw); err != nil {
		_ = dw.Close()
		return "", replyError(StageData, err)
	}
	if err := dw.Close(); err != nil {
		return "", replyError(StageData, err)
	}
	_, resp, err := c.Text.ReadResponse(250)
	if err != nil {
		return "", replyError(StageData, err)
	}
	return resp, nil
}

// writeEnvelope writes MAIL FROM (with the parameters go-mail would add
// for the server's extensions), the RCPT TOs and DATA, and flushes them
// once.
func writeEnvelope(c *smtp.Client, from string, rcpts []string) error {
	w := c.Text.W
	_, _ = w.WriteString("MAIL FROM:")
	_, _ = w.WriteString(from)
	if ok, _ := c.Extension("8BITMIME"); ok {
		_, _ = w.WriteString(" BODY=8BITMIME")
	}
	if ok, _ := c.Extension("SMTPUTF8"); ok {
		_, _ = w.WriteString(" SMTPUTF8")
	}
	_, _ = w.WriteString("\r\n")
	for _, r := range rcpts {
		_, _ = w.WriteString("RCPT TO:")
		_, _ = w.WriteString(r)
		_, _ = w.WriteString("\r\n")
	}
	_, _ = w.WriteString("DATA\r\n")
	return w.Flush()
}

// readEnvelope reads the replies to MAIL FROM, the n RCPT TOs and DATA
// in order, and returns the first refusal among them (a refused MAIL
// FROM or RCPT TO makes the server refuse the commands after it). A
// DATA accepted after a refusal is ended at once with an empty message's
// dot, as RFC 2920 asks.
func readEnvelope(c *smtp.Client, n int) error {
	var first *SendError
	note := func(stage Stage, err error) {
		if first == nil {
			first = replyError(stage, err)
		}
	}
	if _, _, err := c.Text.ReadResponse(250); err != nil {
		if !isReply(err) {
			return replyError(StageMail, err)
		}
		note(StageMail, err)
	}
	for range n {
		if _, _, err := c.Text.ReadResponse(25); err != nil {
			if !isReply(err) {
				return replyError(StageRcpt, err)
			}
			note(StageRcpt, err)
		}
	}
	_, _, err := c.Text.ReadResponse(354)
	switch {
	case err != nil && !isReply(err):
		return replyError(StageData, err)
	case err != nil:
		note(StageData, err)
		return first
	case first != nil:
		_, _ = c.Text.W.WriteString(".\r\n")
		if err := c.Text.W.Flush(); err == nil {
			_, _, _ = c.Text.ReadResponse(250)
		}
		return first
	}
	return nil
}

// isReply reports whether err is a reply of the server (rather than a
// broken connection or a garbled answer).
func isReply(err error) bool {
	var tp *textproto.Error
	return errors.As(err, &tp)
}

// replyError classifies a reply or I/O error at stage as classifySend
// classifies go-mail's.
func replyError(stage Stage, err error) *SendError {
	se := &SendError{Stage: stage, Err: err}
	var tp *textproto.Error
	if !errors.As(err, &tp) {
		// No reply: the connection dropped, timed out or was garbled.
		se.Reply, se.Temporary = err.Error(), true
		return se
	}
	se.Code = tp.Code
	se.Enhanced, se.Reply = splitEnhanced(tp.Msg)
	if se.Code >= 500 {
		se.Suppress = addressFailure(stage, se.Enhanced)
	} else {
		se.Temporary = true
	}
	return se
}
