package ai_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/ai"
)

func TestRedactor(t *testing.T) {
	t.Parallel()
	data := map[string]any{
		"contact": map[string]any{"email": "ada@example.com", "attributes": map[string]any{"iban": "DE89 3704 0044 0532 0130 00", "plan": "pro"}},
		"trigger": map[string]any{"event": map[string]any{"properties": map[string]any{"iban": []any{"FR76 3000 6000 0112 3456 7890 189"}, "x": "no"}}},
	}
	r := ai.NewRedactor([]string{"IBAN"}, data, true)
	require.ElementsMatch(t, []string{"DE89 3704 0044 0532 0130 00", "FR76 3000 6000 0112 3456 7890 189"}, r.Values(), "named fields, at any depth, any case")

	got := r.Redact("Pay DE89 3704 0044 0532 0130 00, mail grace@example.org or call +49 151 12345678 / 030 12345678; order 2026-12-02 of 12.50 EUR, ref 1234567")
	require.NotContains(t, got, "DE89")
	require.NotContains(t, got, "grace@example.org")
	require.NotContains(t, got, "+49 151 12345678")
	require.NotContains(t, got, "030 12345678")
	require.Contains(t, got, "2026-12-02", "a date is not a phone number")
	require.Contains(t, got, "12.50 EUR")
	require.Contains(t, got, "ref 1234567", "seven digits without + is not a phone number")

	noPII := ai.NewRedactor(nil, data, false)
	require.Equal(t, "mail grace@example.org", noPII.Redact("mail grace@example.org"), "nothing redacted unless asked")

	v := r.RedactValue(map[string]any{"iban": "anything", "note": "write to ada@example.com", "n": 3.0})
	require.Equal(t, map[string]any{"iban": ai.Redacted, "note": "write to " + ai.Redacted, "n": 3.0}, v)

	back := ai.RedactorOf([]string{"iban"}, r.Values(), r.PII())
	require.Equal(t, got, back.Redact("Pay DE89 3704 0044 0532 0130 00, mail grace@example.org or call +49 151 12345678 / 030 12345678; order 2026-12-02 of 12.50 EUR, ref 1234567"))
}
