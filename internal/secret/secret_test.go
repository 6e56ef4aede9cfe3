package secret

import (
	"bytes"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestKeyringSealOpen(t *testing.T) {
	t.Parallel()
	kr, err := NewKeyring(testKey(1))
	require.NoError(t, err)
	tenant, cred := uuid.New(), uuid.New()
	ct, keyID, err := kr.Seal(tenant, cred, []byte("hunter2-hunter2"))
	require.NoError(t, err)
	require.Equal(t, kr.CurrentKeyID(), keyID)
	require.NotContains(t, string(ct), "hunter2")
	pt, err := kr.Open(tenant, cred, keyID, ct)
	require.NoError(t, err)
	require.Equal(t, "hunter2-hunter2", string(pt))

	// Two seals of one value differ (random nonce).
	ct2, _, err := kr.Seal(tenant, cred, []byte("hunter2-hunter2"))
	require.NoError(t, err)
	require.NotEqual(t, ct, ct2)
}

func TestKeyringRefusesMovedCiphertext(t *testing.T) {
	t.Parallel()
	kr, err := NewKeyring(testKey(1))
	require.NoError(t, err)
	tenant, cred := uuid.New(), uuid.New()
	ct, keyID, err := kr.Seal(tenant, cred, []byte("value"))
	require.NoError(t, err)

	// Copied into another tenant's row, or onto another credential.
	_, err = kr.Open(uuid.New(), cred, keyID, ct)
	require.ErrorIs(t, err, ErrOpen)
	_, err = kr.Open(tenant, uuid.New(), keyID, ct)
	require.ErrorIs(t, err, ErrOpen)
	// Altered.
	bad := bytes.Clone(ct)
	bad[len(bad)-1] ^= 1
	_, err = kr.Open(tenant, cred, keyID, bad)
	require.ErrorIs(t, err, ErrOpen)
	_, err = kr.Open(tenant, cred, keyID, ct[:5])
	require.ErrorIs(t, err, ErrOpen)
}

func TestKeyringRotation(t *testing.T) {
	t.Parallel()
	old, err := NewKeyring(testKey(1))
	require.NoError(t, err)
	tenant, cred := uuid.New(), uuid.New()
	ct, oldID, err := old.Seal(tenant, cred, []byte("value"))
	require.NoError(t, err)

	// The new key alone cannot read the old value.
	fresh, err := NewKeyring(testKey(2))
	require.NoError(t, err)
	require.NotEqual(t, oldID, fresh.CurrentKeyID())
	_, err = fresh.Open(tenant, cred, oldID, ct)
	require.ErrorIs(t, err, ErrUnknownKey)

	// With the old key as a previous one it can, and reseals under the new.
	both, err := NewKeyring(testKey(2), testKey(1))
	require.NoError(t, err)
	require.True(t, both.Has(oldID))
	pt, err := both.Open(tenant, cred, oldID, ct)
	require.NoError(t, err)
	ct2, newID, err := both.Seal(tenant, cred, pt)
	require.NoError(t, err)
	require.Equal(t, fresh.CurrentKeyID(), newID)
	pt2, err := fresh.Open(tenant, cred, newID, ct2)
	require.NoError(t, err)
	require.Equal(t, "value", string(pt2))
}

func TestNewKeyringRefusesShortKeys(t *testing.T) {
	t.Parallel()
	_, err := NewKeyring([]byte("short"))
	require.Error(t, err)
	_, err = NewKeyring(testKey(1), []byte("short"))
	require.Error(t, err)
}

func TestDeriveKeyIsPerPurposeAndMaterial(t *testing.T) {
	t.Parallel()
	a, err := DeriveKey(testKey(1), "unsubscribe tokens v1")
	require.NoError(t, err)
	require.Len(t, a, 32)
	again, err := DeriveKey(testKey(1), "unsubscribe tokens v1")
	require.NoError(t, err)
	require.Equal(t, a, again, "the same material and purpose give the same key")
	other, err := DeriveKey(testKey(1), "another purpose")
	require.NoError(t, err)
	require.NotEqual(t, a, other)
	otherKey, err := DeriveKey(testKey(2), "unsubscribe tokens v1")
	require.NoError(t, err)
	require.NotEqual(t, a, otherKey)
	require.NotEqual(t, testKey(1), a)

	_, err = DeriveKey(make([]byte, 31), "x")
	require.ErrorContains(t, err, "at least 32 bytes")
	_, err = DeriveKey(testKey(1), "")
	require.ErrorContains(t, err, "purpose")
}
