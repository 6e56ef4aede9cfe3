package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// SecretResolver opens a workspace credential for the call that uses it
// (internal/credential implements it). A credential that does not exist
// is an error wrapping store.ErrNotFound; the step then fails without
// retrying.
type SecretResolver interface {
	Resolve(ctx context.Context, tenantID uuid.UUID, name string) (string, error)
}

// protectSecrets replaces every {{ secrets.NAME }} in a node config with a
// random token before templates are rendered, so the prepared request (the
// outbox row, the step input) holds tokens, never values, and execution
// data cannot forge a reference: the tokens are drawn fresh for each
// Prepare, after the data exists. It returns the config and token → name.
func protectSecrets(config json.RawMessage) (json.RawMessage, map[string]string, error) {
	re := workflow.SecretRefPattern()
	if !re.Match(config) {
		return config, nil, nil
	}
	byName := map[string]string{}
	tokens := map[string]string{}
	var ferr error
	out := re.ReplaceAllFunc(config, func(m []byte) []byte {
		name := string(re.FindSubmatch(m)[1])
		tok, ok := byName[name]
		if !ok {
			b := make([]byte, 16)
			if _, err := rand.Read(b); err != nil {
				ferr = err
				return m
			}
			tok = "nfsecret" + hex.EncodeToString(b)
			byName[name] = tok
			tokens[tok] = name
		}
		return []byte(tok)
	})
	if ferr != nil {
		return nil, nil, fmt.Errorf("secret token: %w", ferr)
	}
	return out, tokens, nil
}

// resolvedSecrets are the values a call uses, for redacting echoes of
// them from what is recorded.
type resolvedSecrets struct {
	values []string
}

// resolveSecrets opens the credentials a prepared call refers to and puts
// their values in place of the tokens, just before the call.
func (h *HTTPRequest) resolveSecrets(ctx context.Context, tenantID uuid.UUID, call *httpCall) (*resolvedSecrets, error) {
	rs := &resolvedSecrets{}
	if len(call.Secrets) == 0 {
		return rs, nil
	}
	if h.secrets == nil {
		return rs, Permanent(errors.New("credentials are not configured in this process"))
	}
	pairs := make([]string, 0, 2*len(call.Secrets))
	for tok, name := range call.Secrets {
		v, err := h.secrets.Resolve(ctx, tenantID, name)
		if errors.Is(err, store.ErrNotFound) {
			return rs, Permanent(fmt.Errorf("credential %q does not exist", name))
		}
		if err != nil {
			return rs, Retryable(fmt.Errorf("credential %q cannot be read", name))
		}
		pairs = append(pairs, tok, v)
		if len(v) >= 4 {
			rs.values = append(rs.values, v)
		}
	}
	r := strings.NewReplacer(pairs...)
	call.URL = r.Replace(call.URL)
	for k, v := range call.Headers {
		call.Headers[k] = r.Replace(v)
	}
	call.Body = r.Replace(call.Body)
	return rs, nil
}

// redact blanks every secret value (as sent, and as JSON would escape it)
// in b.
func (rs *resolvedSecrets) redact(b []byte) []byte {
	for _, v := range rs.values {
		b = bytes.ReplaceAll(b, []byte(v), []byte(workflow.Redacted))
		if q, err := json.Marshal(v); err == nil {
			if esc := q[1 : len(q)-1]; !bytes.Equal(esc, []byte(v)) {
				b = bytes.ReplaceAll(b, esc, []byte(workflow.Redacted))
			}
		}
	}
	return b
}

// redactedError is an error whose text had secret values blanked; it
// still unwraps to the original for errors.Is.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// result redacts a Perform result: the output, and the error's text and
// output, keeping whether it may be retried.
func (rs *resolvedSecrets) result(out json.RawMessage, err error) (json.RawMessage, error) {
	if rs == nil || len(rs.values) == 0 {
		return out, err
	}
	if out != nil {
		out = rs.redact(out)
	}
	if err == nil {
		return out, nil
	}
	red := &redactedError{msg: string(rs.redact([]byte(err.Error()))), err: err}
	var fe *EffectError
	if errors.As(err, &fe) {
		o := fe.Output
		if o != nil {
			o = rs.redact(bytes.Clone(o))
		}
		return out, &EffectError{Err: red, Retryable: fe.Retryable, Output: o}
	}
	return out, red
}
