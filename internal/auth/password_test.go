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
	require.Error(t, ValidatePassword("123456789"))
	require.NoError(t, ValidatePassword("1234567890"))
	require.NoError(t, ValidatePassword(strings.Repeat("é", 10)), "counts characters, not bytes")
	require.NoError(t, ValidatePassword(strings.Repeat("a", 256)))
	require.Error(t, ValidatePassword(strings.Repeat("a", 257)))
	require.Error(t, ValidatePassword("abcdefghij\xff"))
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
