package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/nextflow-dev/nextflow/internal/store"
)

const maxSlugLen = 48

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$`)

// Slugify turns a workspace name into a URL slug: lower-case ASCII letters
// and digits separated by single dashes, at most 48 characters,
// "workspace" when nothing is left.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= maxSlugLen-6 { // room for a "-xxxx" suffix
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "workspace"
	}
	return s
}

// ValidSlug reports whether s is an acceptable workspace slug.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// uniqueSlug returns base, or base with a random suffix, that no tenant
// uses yet. forceSuffix skips the plain base (a retry after a race).
func uniqueSlug(ctx context.Context, tx store.Tx, base string, forceSuffix bool) (string, error) {
	for i := 0; i < 8; i++ {
		cand := base
		if forceSuffix || i > 0 {
			var b [2]byte
			if _, err := rand.Read(b[:]); err != nil {
				return "", fmt.Errorf("slug suffix: %w", err)
			}
			cand = base + "-" + hex.EncodeToString(b[:])
		}
		_, err := tx.TenantGetBySlug(ctx, cand)
		if errors.Is(err, store.ErrNotFound) {
			return cand, nil
		}
		if err != nil {
			return "", fmt.Errorf("look up slug: %w", err)
		}
	}
	return "", errSlugTaken
}
