package email_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/email"
)

func TestTextFromHTML(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, html, text string }{
		{"paragraphs and links",
			`<html><head><title>T</title><style>p{color:red}</style></head><body><p>Hi &amp; welcome</p><p><a href="https://x.test/a?b=1&amp;c=2">Start</a></p></body></html>`,
			"Hi & welcome\nStart (https://x.test/a?b=1&c=2)\n"},
		{"list and breaks", `<ul><li>One</li><li>Two</li></ul>Line<br>Next<br/>`, "- One\n- Two\nLine\nNext\n"},
		{"script dropped", `<script>alert(1)</script><div>ok</div>`, "ok\n"},
		{"comment dropped", `a<!-- secret -->b`, "ab\n"},
		{"link equal to its text", `<a href="https://x.test">https://x.test</a>`, "https://x.test\n"},
		{"mailto keeps the label", `<a href="mailto:a@b.test">write us</a>`, "write us\n"},
		{"blank lines folded", "<p>a</p>\n\n\n\n<p>b</p>", "a\n\nb\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.text, email.TextFromHTML(tc.html))
		})
	}
}
