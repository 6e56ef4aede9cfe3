package email

import (
	"errors"
	"slices"

	"github.com/wneessen/go-mail/smtp"
)

// login authenticates with PLAIN, or LOGIN when the server offers only
// that, and never sends the password over an unencrypted connection unless
// the connection was configured without TLS (tls=none).
type login struct {
	host, user, pass string
	clear            bool
	next             smtp.Auth
}

// Start implements smtp.Auth.
func (a *login) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.clear {
		return "", nil, &stageError{stage: StageAuth, broken: true,
			err: errors.New("the server offered no TLS, and the password is never sent in clear (choose tls=mandatory, or none to allow it)")}
	}
	switch {
	case slices.Contains(server.Auth, "PLAIN"):
		a.next = smtp.PlainAuth("", a.user, a.pass, a.host, true)
	case slices.Contains(server.Auth, "LOGIN"):
		a.next = smtp.LoginAuth(a.user, a.pass, a.host, true)
	case len(server.Auth) == 0:
		return "", nil, &stageError{stage: StageAuth, broken: true,
			err: errors.New("the server does not offer AUTH, but a user name is configured")}
	default:
		return "", nil, &stageError{stage: StageAuth, broken: true,
			err: errors.New("the server offers neither PLAIN nor LOGIN authentication")}
	}
	return a.next.Start(server)
}

// Next implements smtp.Auth.
func (a *login) Next(fromServer []byte, more bool) ([]byte, error) {
	return a.next.Next(fromServer, more)
}
