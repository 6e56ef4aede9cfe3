package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestLoginParallelGuessesHTTP makes 40 wrong guesses at once on one
// account from one address: exactly the policy's free five are checked
// (401), the rest answered 429 with Retry-After; then the owner, from
// another address, signs in.
func TestLoginParallelGuessesHTTP(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, storetest.SQLite(t), func(o *AccountsOptions, ao *auth.Options) {
		o.TrustProxy = true
		ao.HashQueue = 1000 // this test is about the throttle, not the gate
	})
	a.signup("ada@example.com", "Acme")
	login := func(pw, ip string) *response {
		return a.do(http.MethodPost, Prefix+"/auth/login", map[string]string{"email": "ada@example.com", "password": pw}, creds{},
			"X-Forwarded-For", ip)
	}
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := login("wrong password!", "203.0.113.66")
			mu.Lock()
			defer mu.Unlock()
			statuses[r.Status]++
			if r.Status == http.StatusTooManyRequests {
				secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
				if err != nil || secs < 1 {
					t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
				}
			}
		}()
	}
	wg.Wait()
	free := auth.DefaultLoginPolicy.Client.Free
	require.Equal(t, map[int]int{http.StatusUnauthorized: free, http.StatusTooManyRequests: 40 - free}, statuses)

	// The attacker's address cannot test the right password…
	require.Equal(t, http.StatusTooManyRequests, login(testPassword, "203.0.113.66").Status)
	// …and the owner is not locked out.
	r := login(testPassword, "198.51.100.20")
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
}

// TestSignupWeakPasswordHTTP: a weak password is 422 naming body.password,
// and no account is made.
func TestSignupWeakPasswordHTTP(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, storetest.SQLite(t))
	for _, pw := range []string{"          ", "password123", "1234567890", "qwertyuiop"} {
		r := a.do(http.MethodPost, Prefix+"/auth/signup", map[string]string{
			"email": "ada@example.com", "password": pw, "name": "Ada", "workspaceName": "Acme",
		}, creds{})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%q: %s", pw, r.Body)
		var p struct {
			Errors []struct {
				Location string `json:"location"`
				Message  string `json:"message"`
			} `json:"errors"`
		}
		r.JSON(t, &p)
		require.Len(t, p.Errors, 1)
		require.Equal(t, "body.password", p.Errors[0].Location)
		require.NotEmpty(t, p.Errors[0].Message)
	}
	r := a.do(http.MethodPost, Prefix+"/auth/login", map[string]string{"email": "ada@example.com", "password": "password123"}, creds{})
	require.Equal(t, http.StatusUnauthorized, r.Status, "no account was made")
}

// TestPasswordProblemBusy: a saturated hashing gate is 503 with
// Retry-After, whichever way the BusyError is wrapped.
func TestPasswordProblemBusy(t *testing.T) {
	t.Parallel()
	a := &Accounts{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, err := range []error{
		&auth.BusyError{RetryAfterSeconds: 2},
		errors.Join(errors.New("login"), &auth.BusyError{RetryAfterSeconds: 2}),
	} {
		perr := a.passwordProblem(context.Background(), "account", err)
		var se huma.StatusError
		require.ErrorAs(t, perr, &se)
		require.Equal(t, http.StatusServiceUnavailable, se.GetStatus())
		var he huma.HeadersError
		require.ErrorAs(t, perr, &he)
		require.Equal(t, "2", he.GetHeaders().Get("Retry-After"))
	}
	// Anything else as before.
	perr := a.passwordProblem(context.Background(), "account", auth.ErrInvalidCredentials)
	var se huma.StatusError
	require.ErrorAs(t, perr, &se)
	require.Equal(t, http.StatusUnauthorized, se.GetStatus())
}
