package api

import (
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// secretFields are the last parts of request locations that carry a secret
// (a credential's value, a password, a token). A validation problem about
// one names the field and says what is wrong, but never echoes the value.
var secretFields = []string{"value", "password", "currentpassword", "newpassword", "secret", "token"}

// redactProblemValues is a huma transformer: it clears the echoed value of
// every error detail whose location is a secret field. Huma's validation
// puts the offending input in each detail, which for a too-long credential
// value or password would send the secret back (into proxies' and
// browsers' logs).
func redactProblemValues(_ huma.Context, _ string, v any) (any, error) {
	m, ok := v.(*huma.ErrorModel)
	if !ok {
		return v, nil
	}
	for _, d := range m.Errors {
		if d != nil && d.Value != nil && isSecretLocation(d.Location) {
			d.Value = nil
		}
	}
	return v, nil
}

func isSecretLocation(loc string) bool {
	last := strings.ToLower(loc[strings.LastIndexByte(loc, '.')+1:])
	for _, f := range secretFields {
		if last == f {
			return true
		}
	}
	return false
}
