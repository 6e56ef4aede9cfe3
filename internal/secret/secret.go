// Package secret encrypts workspace credentials at rest with AES-256-GCM.
//
// A Keyring holds the current key (NEXTFLOW_SECRET_KEY) and any previous
// keys (NEXTFLOW_SECRET_KEY_PREVIOUS) still needed to read values sealed
// before a rotation. Every ciphertext is stored with the ID of the key that
// sealed it, so several keys coexist while `nextflow secrets rotate-key`
// re-seals the values under the current one. The associated data binds a
// ciphertext to its tenant and credential: a value copied into another
// tenant's row, or onto another credential, does not open.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// ErrUnknownKey: the ciphertext was sealed with a key the keyring does not
// hold (add it to NEXTFLOW_SECRET_KEY_PREVIOUS).
var ErrUnknownKey = errors.New("sealed with a key that is not configured")

// ErrOpen: the ciphertext does not open with its key and binding (it was
// altered, or moved to another tenant or credential).
var ErrOpen = errors.New("ciphertext does not open")

const (
	nonceSize = 12
	// version prefixes every ciphertext, so the format can change later.
	version byte = 1
)

type key struct {
	id   string
	aead cipher.AEAD
}

// Keyring seals with the current key and opens with any configured key.
type Keyring struct {
	current key
	byID    map[string]key
}

// NewKeyring builds a keyring from the current key material and previous
// ones (each at least 32 bytes; the AES key is derived with HKDF-SHA256, so
// any 32+ byte secret works).
func NewKeyring(current []byte, previous ...[]byte) (*Keyring, error) {
	cur, err := newKey(current)
	if err != nil {
		return nil, fmt.Errorf("current secret key: %w", err)
	}
	kr := &Keyring{current: cur, byID: map[string]key{cur.id: cur}}
	for i, p := range previous {
		k, err := newKey(p)
		if err != nil {
			return nil, fmt.Errorf("previous secret key %d: %w", i+1, err)
		}
		if _, ok := kr.byID[k.id]; !ok {
			kr.byID[k.id] = k
		}
	}
	return kr, nil
}

func newKey(material []byte) (key, error) {
	if len(material) < 32 {
		return key{}, errors.New("must be at least 32 bytes")
	}
	sum := sha256.Sum256(append([]byte("nextflow key id\x00"), material...))
	aesKey, err := hkdf.Key(sha256.New, material, nil, "nextflow credentials v1", 32)
	if err != nil {
		return key{}, fmt.Errorf("derive key: %w", err)
	}
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return key{}, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, fmt.Errorf("gcm: %w", err)
	}
	return key{id: hex.EncodeToString(sum[:4]), aead: aead}, nil
}

// CurrentKeyID is the ID of the key Seal uses: a short fingerprint that
// reveals nothing of the key.
func (k *Keyring) CurrentKeyID() string { return k.current.id }

// Has reports whether the keyring holds the key with this ID.
func (k *Keyring) Has(keyID string) bool {
	_, ok := k.byID[keyID]
	return ok
}

// binding is the associated data of a credential's ciphertext.
func binding(tenantID, credentialID uuid.UUID) []byte {
	b := make([]byte, 0, 64)
	b = append(b, "nextflow credential v1\x00"...)
	b = append(b, tenantID[:]...)
	b = append(b, credentialID[:]...)
	return b
}

// Seal encrypts plaintext for one credential of one tenant under the
// current key, with a random 96-bit nonce, and returns the ciphertext and
// the key's ID.
func (k *Keyring) Seal(tenantID, credentialID uuid.UUID, plaintext []byte) ([]byte, string, error) {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+k.current.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, "", fmt.Errorf("nonce: %w", err)
	}
	out = k.current.aead.Seal(out, out[1:1+nonceSize], plaintext, binding(tenantID, credentialID))
	return out, k.current.id, nil
}

// Open decrypts a credential's ciphertext sealed with the key keyID.
func (k *Keyring) Open(tenantID, credentialID uuid.UUID, keyID string, ciphertext []byte) ([]byte, error) {
	kk, ok := k.byID[keyID]
	if !ok {
		return nil, fmt.Errorf("key %q: %w", keyID, ErrUnknownKey)
	}
	if len(ciphertext) < 1+nonceSize+kk.aead.Overhead() || ciphertext[0] != version {
		return nil, ErrOpen
	}
	pt, err := kk.aead.Open(nil, ciphertext[1:1+nonceSize], ciphertext[1+nonceSize:], binding(tenantID, credentialID))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// DeriveKey derives a 32-byte key for one purpose ("unsubscribe tokens
// v1") from secret key material (NEXTFLOW_SECRET_KEY, or a previous key)
// with HKDF-SHA256. Each purpose gets an independent key, and none equals
// or reveals the key credentials are sealed with, so signing features can
// share the one secret the operator manages.
func DeriveKey(material []byte, purpose string) ([]byte, error) {
	if len(material) < 32 {
		return nil, errors.New("derive key: key material must be at least 32 bytes")
	}
	if purpose == "" {
		return nil, errors.New("derive key: purpose is empty")
	}
	k, err := hkdf.Key(sha256.New, material, nil, "nextflow purpose\x00"+purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("derive key for %s: %w", purpose, err)
	}
	return k, nil
}
