package whatsapp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCheckWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	text := Message{To: "16505551234", Text: &Text{Body: "hi"}}
	media := Message{To: "16505551234", Media: &Media{Type: "image", Link: "https://x/y.png"}}
	tpl := Message{To: "16505551234", Template: &Template{Name: "order_update"}}
	cases := []struct {
		name string
		msg  Message
		last time.Time
		err  error
	}{
		{"text, wrote an hour ago", text, now.Add(-time.Hour), nil},
		{"text, wrote 23h59m ago", text, now.Add(-24*time.Hour + time.Minute), nil},
		{"text, wrote exactly 24h ago", text, now.Add(-24 * time.Hour), ErrWindowClosed},
		{"text, wrote two days ago", text, now.Add(-48 * time.Hour), ErrWindowClosed},
		{"text, never wrote", text, time.Time{}, ErrWindowClosed},
		{"media, never wrote", media, time.Time{}, ErrWindowClosed},
		{"template, never wrote", tpl, time.Time{}, nil},
		{"template, wrote long ago", tpl, now.Add(-30 * 24 * time.Hour), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.ErrorIs(t, CheckWindow(tc.msg, tc.last, now), tc.err)
		})
	}
}

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"+1 (650) 555-1234": "16505551234", "447700900123": "447700900123", " +33.6.12.34.56.78 ": "33612345678"} {
		got, err := NormalizePhone(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
	}
	for _, in := range []string{"", "+", "0123456789", "+12", "+1234567890123456", "12a4567890", "++16505551234"} {
		_, err := NormalizePhone(in)
		require.Error(t, err, in)
	}
}
