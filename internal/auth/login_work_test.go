package auth

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
)

// TestLoginSameWork: a sign-in does the same argon2id work whether the
// email is unknown, the password wrong or the stored hash malformed — one
// verification, with the same parameters, in a hashing slot.
func TestLoginSameWork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := storetest.SQLite(t)
	svc, err := New(Options{Store: st, PasswordParams: fastParams})
	require.NoError(t, err)
	_, err = svc.Signup(ctx, SignupInput{Email: "ada@example.com", Password: "correct horse battery", Name: "Ada", WorkspaceName: "Acme"}, RequestMeta{IP: "192.0.2.1"})
	require.NoError(t, err)
	_, err = svc.Signup(ctx, SignupInput{Email: "bob@example.com", Password: "correct horse battery", Name: "Bob", WorkspaceName: "Bobs"}, RequestMeta{IP: "192.0.2.1"})
	require.NoError(t, err)
	// Bob's stored hash is corrupted.
	require.NoError(t, st.InTx(ctx, [16]byte{}, func(tx store.Tx) error {
		u, err := tx.UserGetByEmail(ctx, "bob@example.com")
		if err != nil {
			return err
		}
		return tx.UserUpdatePassword(ctx, u.ID, "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5")
	}))

	var mu sync.Mutex
	var params []PasswordParams
	inSlot := true
	svc.verify = func(pw, encoded string) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		inSlot = inSlot && len(svc.gate.slots) == 1
		// A hash that does not decode costs no argon2id work.
		if p, _, _, err := decodeHash(encoded); err == nil {
			params = append(params, p)
		}
		return VerifyPassword(pw, encoded)
	}
	for _, email := range []string{"nobody@example.com", "ada@example.com", "bob@example.com"} {
		params = nil
		_, err := svc.Login(ctx, email, "wrong password!", RequestMeta{IP: "198.51.100.1"})
		require.ErrorIs(t, err, ErrInvalidCredentials, email)
		require.Len(t, params, 1, "%s: one argon2id verification", email)
		require.Equal(t, fastParams.Memory, params[0].Memory, email)
		require.Equal(t, fastParams.Time, params[0].Time, email)
		require.Equal(t, fastParams.KeyLen, params[0].KeyLen, email)
	}
	require.True(t, inSlot, "every verification ran in a hashing slot")
	svc.Wait()
}

// TestLoginShedWhenSaturated: with every hashing slot taken and no queue,
// sign-ins, sign-ups and invitation accepts are refused at once with a
// BusyError, charge nothing to the throttle, and the log gets one line
// for the burst, not one per request.
func TestLoginShedWhenSaturated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var logs lockedBuffer
	svc, err := New(Options{
		Store: storetest.SQLite(t), PasswordParams: fastParams, HashConcurrency: 1, HashQueue: -1,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	require.NoError(t, err)
	_, err = svc.Signup(ctx, SignupInput{Email: "ada@example.com", Password: "correct horse battery", Name: "Ada", WorkspaceName: "Acme"}, RequestMeta{IP: "192.0.2.1"})
	require.NoError(t, err)

	release := make(chan struct{})
	held := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = svc.gate.Do(ctx, func() error { close(held); <-release; return nil })
	}()
	<-held
	attacker := RequestMeta{IP: "203.0.113.66"}
	for i := 0; i < 20; i++ {
		_, err := svc.Login(ctx, "ada@example.com", "wrong password!", attacker)
		var be *BusyError
		require.ErrorAs(t, err, &be)
		require.Positive(t, be.RetryAfterSeconds)
	}
	_, err = svc.Signup(ctx, SignupInput{Email: "bob@example.com", Password: "correct horse battery", Name: "Bob", WorkspaceName: "Bobs"}, attacker)
	require.ErrorIs(t, err, ErrBusy)
	close(release)
	<-done

	require.Equal(t, 1, strings.Count(logs.String(), "password hashing saturated"), logs.String())
	// Nothing was charged: the attacker's address still has its free tries.
	for i := 0; i < DefaultLoginPolicy.Client.Free; i++ {
		_, err := svc.Login(ctx, "ada@example.com", "wrong password!", attacker)
		require.ErrorIs(t, err, ErrInvalidCredentials)
	}
	_, err = svc.Login(ctx, "ada@example.com", "wrong password!", attacker)
	require.ErrorIs(t, err, ErrThrottled)
	svc.Wait()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
