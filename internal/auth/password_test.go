package auth

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var fastParams = PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("correct horse battery", DefaultPasswordParams)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$"), h)

	ok, err := VerifyPassword("correct horse battery", h)
	require.NoError(t, err)
	require.True(t, ok)

	ok, err = VerifyPassword("correct horse batterY", h)
	require.NoError(t, err)
	require.False(t, ok)

	h2, err := HashPassword("correct horse battery", DefaultPasswordParams)
	require.NoError(t, err)
	require.NotEqual(t, h, h2, "salted")
	require.False(t, NeedsRehash(h, DefaultPasswordParams))
	require.True(t, NeedsRehash(h, fastParams))
}

func TestVerifyPasswordMalformed(t *testing.T) {
	t.Parallel()
	for _, h := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", // memory bomb
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		ok, err := VerifyPassword("whatever123", h)
		require.Error(t, err, h)
		require.False(t, ok, h)
	}
}

func TestValidatePassword(t *testing.T) {
	t.Parallel()
	require.Error(t, ValidatePassword("short"))
	require.Error(t, ValidatePassword("sx7!Kq2p"), "too short however random")
	require.NoError(t, ValidatePassword("tQ8#vL2!mZ"))
	require.NoError(t, ValidatePassword(strings.Repeat("é", 10)), "counts characters, not bytes")
	long := "tQ8#vL2!mZ-" + strings.Repeat("x", 245)
	require.NoError(t, ValidatePassword(long), "256 characters")
	require.Error(t, ValidatePassword(long+"a"))
	require.Error(t, ValidatePassword("abcdefghij\xff"))
	require.NoError(t, ValidatePassword("correct horse battery"))
}

// TestPasswordPolicy: whitespace, the most common passwords, patterns and
// the user's own name or email are refused, naming the field.
func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	for _, pw := range []string{
		"          ", "\t\t\t\t\t\n\n\n\n\n", "\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000",
		"1234567890", "0987654321", "password123", "Password1!", "qwertyuiop", "iloveyou12345", "changeme123",
		"aaaaaaaaaaaa", "abcdefghijkl", "letmeinletmein", "passwordpassword", "1111111111",
		strings.Repeat("a", 256), strings.Repeat("password", 32),
	} {
		err := ValidatePassword(pw)
		var ie *InvalidInputError
		require.ErrorAs(t, err, &ie, "%q", pw)
		require.Equal(t, "password", ie.Field)
		require.NotEmpty(t, ie.Message)
	}
	// The user's own email or name is a known word.
	require.NoError(t, ValidatePassword("lovelace1815"))
	require.Error(t, ValidatePassword("lovelace1815", "ada.lovelace@example.com", "Ada Lovelace"))
	require.Error(t, ValidatePassword("ada@example.com1", "ada@example.com"))
	var ie *InvalidInputError
	require.ErrorAs(t, ValidatePassword("          "), &ie)
	require.Contains(t, ie.Message, "whitespace")

	// Scoring is bounded: a long password costs no more than 48 characters.
	prefix := "tQ8#vL2!mZ-" + strings.Repeat("x", 37)
	require.Equal(t, PasswordScore(prefix), PasswordScore(prefix+strings.Repeat("é", 208)))
}

func TestTokens(t *testing.T) {
	t.Parallel()
	tok, hash, err := NewToken()
	require.NoError(t, err)
	require.Len(t, tok, 43)
	require.True(t, wellFormedToken(tok))
	require.Equal(t, HashToken(tok), hash)
	tok2, _, err := NewToken()
	require.NoError(t, err)
	require.NotEqual(t, tok, tok2)
	require.False(t, wellFormedToken(tok[:42]))
	require.False(t, wellFormedToken(tok[:42]+"+"))

	key, prefix, secretHash, err := NewAPIKey()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(key, "nf_"+prefix+"_"))
	p, secret, ok := ParseAPIKey(key)
	require.True(t, ok)
	require.Equal(t, prefix, p)
	require.Equal(t, secretHash, HashToken(secret))
	for _, bad := range []string{"", "nf_", "nf_abc_def", key[:len(key)-1], "xx" + key[2:], strings.Replace(key, prefix, "ZZZZZZZZZZZZ", 1)} {
		_, _, ok := ParseAPIKey(bad)
		require.False(t, ok, bad)
	}
}

func TestSlugify(t *testing.T) {
	t.Parallel()
	require.Equal(t, "acme-inc", Slugify("  ACME, Inc.  "))
	require.Equal(t, "workspace", Slugify("???"))
	require.Equal(t, "caf", Slugify("Café"))
	require.LessOrEqual(t, len(Slugify(strings.Repeat("ab ", 100))), maxSlugLen-6)
	require.True(t, ValidSlug(Slugify(strings.Repeat("ab ", 100))))
	require.False(t, ValidSlug("-x"))
	require.False(t, ValidSlug("A"))
}
