package tmpl

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func data(t *testing.T) map[string]any {
	t.Helper()
	var d map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{
		"contact": {"email": "ada@example.com", "externalId": "c-1", "attributes": {"first_name": "Ada", "empty": "", "tags": ["vip", "beta"], "bio": "<b>Tom & Jerry</b>"}},
		"trigger": {"type": "event", "event": {"name": "order.completed", "properties": {"total": 99.5, "count": 3, "items": [{"name": "Shoe"}, {"name": "Sock"}]}}},
		"steps": {"a": {"output": {"text": "Hello from AI", "html": "<p>hi</p>"}}},
		"vars": {}
	}`), &d))
	return d
}

func TestRender(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	tests := []struct{ src, want string }{
		{`Hi {{ contact.attributes.first_name }}!`, `Hi Ada!`},
		{`{{ steps.a.output.text }}`, `Hello from AI`},
		{`{{ trigger.event.properties.total }} / {{ trigger.event.properties.count }}`, `99.5 / 3`},
		{`[{{ contact.attributes.missing }}]`, `[]`},
		{`[{{ nothing.at.all }}]`, `[]`},
		{`[{{ steps.zzz.output.text }}]`, `[]`},
		{`Hi {{ contact.attributes.nickname | default: "there" }}`, `Hi there`},
		{`Hi {{ contact.attributes.empty | default: "there" }}`, `Hi there`},
		{`Hi {{ contact.attributes.first_name | default: "there" }}`, `Hi Ada`},
		{`Hi {{ no.such.path | default: "there" }}`, `Hi there`},
		{`{{ contact.attributes.first_name | upcase }}`, `ADA`},
		{`{% for i in trigger.event.properties.items %}{{ i.name }},{% endfor %}`, `Shoe,Sock,`},
		{`{% if contact.attributes.tags contains "vip" %}VIP{% else %}-{% endif %}`, `VIP`},
		{`{{ contact.attributes.bio }}`, `<b>Tom & Jerry</b>`},
		{`{{ contact.attributes.bio | raw }}`, `<b>Tom & Jerry</b>`},
		{`plain text`, `plain text`},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			t.Parallel()
			got, err := e.Render(t.Context(), tc.src, data(t))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestRenderHTMLEscapes(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	tests := []struct{ src, want string }{
		{`<p>{{ contact.attributes.bio }}</p>`, `<p>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</p>`},
		{`<p>{{ contact.attributes.bio | raw }}</p>`, `<p><b>Tom & Jerry</b></p>`},
		{`{{ steps.a.output.html | raw }}`, `<p>hi</p>`},
		{`<a href="?q={{ "a&b" }}">x</a>`, `<a href="?q=a&amp;b">x</a>`},
		{`<p>Hi {{ contact.attributes.nickname | default: "<there>" }}</p>`, `<p>Hi &lt;there&gt;</p>`},
		{`{{- contact.attributes.first_name -}} !`, `Ada!`},
		{`{{ trigger.event.properties.count }}`, `3`},
		{`[{{ missing }}]`, `[]`},
		{`{{ contact.attributes.tags }}`, `vipbeta`},
		{`{% raw %}{{ contact.attributes.bio }}{% endraw %}`, `{{ contact.attributes.bio }}`},
		{`{% if contact.attributes.bio contains "&" %}{{ contact.attributes.bio | escape }}{% endif %}`, `&amp;lt;b&amp;gt;Tom &amp;amp; Jerry&amp;lt;/b&amp;gt;`},
		{`{% for i in trigger.event.properties.items %}<li>{{ i.name | append: "<" }}</li>{% endfor %}`, `<li>Shoe&lt;</li><li>Sock&lt;</li>`},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			t.Parallel()
			got, err := e.RenderHTML(t.Context(), tc.src, data(t))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	for _, src := range []string{
		`{{ contact.email `,
		`{% if x %}no end`,
		`{% for %}{% endfor %}`,
		`{{ | }}`,
		`{% endif %}`,
		`{% nosuchtag %}`,
	} {
		err := e.Parse(src)
		require.ErrorIs(t, err, ErrParse, src)
		_, err = e.Render(t.Context(), src, nil)
		require.ErrorIs(t, err, ErrParse, src)
		_, err = e.RenderHTML(t.Context(), src, nil)
		require.ErrorIs(t, err, ErrParse, src)
	}
	for _, src := range []string{`Hello {{ contact.email }}`, `{% if a %}x{% endif %}`, `no tags`, `{{ x | default: "y" }}`} {
		require.NoError(t, e.Parse(src), src)
	}
}

func TestOutputLimit(t *testing.T) {
	t.Parallel()
	e := New(Options{MaxOutputBytes: 1000})
	_, err := e.Render(t.Context(), `{% for i in (1..1000) %}xxxxxxxxxx{% endfor %}`, nil)
	require.ErrorIs(t, err, ErrOutputTooLarge)
}

func TestCacheBoundedAndConcurrent(t *testing.T) {
	t.Parallel()
	e := New(Options{CacheSize: 5})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 40 {
				n := (i + j) % 9
				got, err := e.RenderHTML(t.Context(), fmt.Sprintf("{{ contact.attributes.first_name }}-%d", n), data(t))
				if err != nil || got != fmt.Sprintf("Ada-%d", n) {
					t.Errorf("got %q, %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	require.LessOrEqual(t, e.cacheLen(), 5)
}

func TestEscapeOutputsRewrite(t *testing.T) {
	t.Parallel()
	require.Equal(t, `a {{ x | nf_html_escape }} b`, escapeOutputs(`a {{x}} b`))
	require.Equal(t, `{{ x | y }}`, escapeOutputs(`{{ x | y | raw }}`))
	require.Equal(t, `{{ "}}" | nf_html_escape }}`, escapeOutputs(`{{ "}}" }}`))
	require.Equal(t, `{{ x`, escapeOutputs(`{{ x`))
	require.True(t, strings.HasPrefix(escapeOutputs(`{% raw %}{{ x }}{% endraw %}{{ y }}`), `{% raw %}{{ x }}{% endraw %}{{ y |`))
}

func TestHugeLiteralRangeRejected(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	require.ErrorIs(t, e.Parse(`{% for i in (1..1000000000) %}{% endfor %}`), ErrParse)
	require.ErrorIs(t, e.Parse(`{% for i in (1..99999999999999999999999) %}{% endfor %}`), ErrParse)
	require.NoError(t, e.Parse(`{% for i in (1..10) %}{{ i }}{% endfor %}`))
}

func TestUnknownFilterIsAParseError(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	err := e.Parse("Hi\n{% if a %}{{ a | nosuchfilter }}{% endif %}")
	require.ErrorIs(t, err, ErrParse)
	require.Contains(t, err.Error(), `line 2: unknown filter "nosuchfilter"`)
	require.NoError(t, e.Parse(`{{ "a | nosuch" | upcase }} {% assign x = y | default: "z" %}{% raw %}{{ a | nope }}{% endraw %}`))
	e.RegisterFilter("shout", func(s string) string { return s + "!" })
	got, err := e.Render(t.Context(), `{{ "hi" | shout }}`, nil)
	require.NoError(t, err)
	require.Equal(t, "hi!", got)
}
