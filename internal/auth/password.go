package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/crypto/argon2"
)

// Password length limits, in characters.
const (
	MinPasswordLength = 10
	MaxPasswordLength = 256
)

// PasswordParams are argon2id cost parameters.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultPasswordParams follow the OWASP recommendation for argon2id
// (19 MiB, 2 passes, 1 lane).
var DefaultPasswordParams = PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Upper bounds on parameters read from a stored hash, so a corrupted or
// planted hash cannot make verification allocate gigabytes.
const (
	maxMemoryKiB = 1 << 20
	maxTime      = 20
)

var errMalformedHash = errors.New("malformed password hash")

// Password strength policy: a new password needs at least this zxcvbn
// score (0 to 4; 2 means "somewhat guessable", about 10^6 to 10^8 guesses,
// so it holds against throttled online guessing). Only the first
// strengthRunes characters are scored: zxcvbn's cost grows steeply with
// length (a 256-character password takes a third of a CPU second), and a
// password whose first 48 characters are guessable is refused anyway.
const (
	MinPasswordScore = 2
	strengthRunes    = 48
)

// ValidatePassword checks a new password: valid UTF-8, 10 to 256
// characters, not only whitespace, and not easy to guess. Strength is
// zxcvbn's estimate, which knows the most common passwords, keyboard
// patterns, repeats, sequences, dates and dictionary words; userInputs
// (the account's email, name, workspace) count as known words too, so
// "ada@example.com1" is refused for Ada.
func ValidatePassword(pw string, userInputs ...string) error {
	if err := validatePasswordShape(pw); err != nil {
		return err
	}
	return validatePasswordStrength(pw, userInputs...)
}

// validatePasswordShape is the cheap part of ValidatePassword: encoding,
// length, whitespace.
func validatePasswordShape(pw string) error {
	n := utf8.RuneCountInString(pw)
	if !utf8.ValidString(pw) {
		return invalid("password", "must be valid UTF-8")
	}
	if n < MinPasswordLength {
		return invalid("password", fmt.Sprintf("must be at least %d characters", MinPasswordLength))
	}
	if n > MaxPasswordLength {
		return invalid("password", fmt.Sprintf("must be at most %d characters", MaxPasswordLength))
	}
	if strings.TrimFunc(pw, unicode.IsSpace) == "" {
		return invalid("password", "must not be only whitespace")
	}
	return nil
}

// validatePasswordStrength is the costly part of ValidatePassword (a few
// milliseconds of CPU): the service runs it in a hashing slot.
func validatePasswordStrength(pw string, userInputs ...string) error {
	if PasswordScore(pw, userInputs...) < MinPasswordScore {
		return invalid("password", "is too easy to guess (a common password, a pattern such as 1234567890 or qwertyuiop, "+
			"a repeat, or your own name or email): use a few unrelated words or a longer mix of characters")
	}
	return nil
}

// PasswordScore is zxcvbn's strength score of pw, 0 (too guessable) to 4
// (very unguessable), with userInputs as known words; only the first 48
// characters are scored (see MinPasswordScore).
func PasswordScore(pw string, userInputs ...string) int {
	if n := 0; utf8.RuneCountInString(pw) > strengthRunes {
		for i := range pw {
			if n == strengthRunes {
				pw = pw[:i]
				break
			}
			n++
		}
	}
	var words []string
	for _, in := range userInputs {
		in = strings.ToLower(strings.TrimSpace(in))
		if in == "" {
			continue
		}
		words = append(words, in)
		// The parts of an email or a name are words on their own.
		words = append(words, strings.FieldsFunc(in, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})...)
	}
	return zxcvbn.PasswordStrength(pw, words).Score
}

// HashPassword hashes pw with argon2id into a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
func HashPassword(pw string, p PasswordParams) (string, error) {
	if p.Memory == 0 {
		p = DefaultPasswordParams
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC-encoded hash, comparing
// in constant time. A malformed hash is an error, never a match.
func VerifyPassword(pw, encoded string) (bool, error) {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded was made with other parameters than p.
func NeedsRehash(encoded string, p PasswordParams) bool {
	got, _, key, err := decodeHash(encoded)
	return err != nil || got.Memory != p.Memory || got.Time != p.Time || got.Threads != p.Threads || uint32(len(key)) != p.KeyLen
}

func decodeHash(encoded string) (PasswordParams, []byte, []byte, error) {
	var p PasswordParams
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errMalformedHash
	}
	if p.Memory < 8 || p.Memory > maxMemoryKiB || p.Time < 1 || p.Time > maxTime || p.Threads < 1 {
		return p, nil, nil, errMalformedHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, errMalformedHash
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errMalformedHash
	}
	p.SaltLen = uint32(len(salt))
	p.KeyLen = uint32(len(key))
	return p, salt, key, nil
}
