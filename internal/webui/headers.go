package webui

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Option configures Handler.
type Option func(*handler)

// TrustProxy makes X-Forwarded-Proto https count as https for HSTS (set it
// with NEXTFLOW_TRUST_PROXY, behind a reverse proxy that sets the header).
func TrustProxy(on bool) Option {
	return func(h *handler) { h.trustProxy = on }
}

// hstsValue is the Strict-Transport-Security of pages served over https.
const hstsValue = "max-age=31536000; includeSubDomains"

// cspBase is the dashboard's Content-Security-Policy without script-src.
// Scripts: the export's own files ('self') and, per page, the hashes of
// the inline scripts Next.js writes into it (its RSC payload and
// bootstrap), never 'unsafe-inline' or eval. Styles keep 'unsafe-inline':
// the exported markup carries style attributes (and the flow editor sets
// styles), which hashes cannot allow; styles cannot run code. The API is
// same-origin, so connect-src 'self' covers fetches and the event stream.
const cspBase = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// setSecurityHeaders sets the headers every dashboard response carries.
func (h *handler) setSecurityHeaders(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	hd.Set("Content-Security-Policy", "frame-ancestors 'none'")
	if isHTTPS(r, h.trustProxy) {
		hd.Set("Strict-Transport-Security", hstsValue)
	}
}

// isHTTPS reports whether r came over https: TLS here, or the last
// X-Forwarded-Proto value when the proxy is trusted.
func isHTTPS(r *http.Request, trustProxy bool) bool {
	if r.TLS != nil {
		return true
	}
	v := r.Header.Values("X-Forwarded-Proto")
	if !trustProxy || len(v) == 0 {
		return false
	}
	last := v[len(v)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

// pagePolicies caches each HTML file's Content-Security-Policy, keyed by
// name, size and modification time (a folder served from disk may change).
type pagePolicies struct {
	mu sync.Mutex
	m  map[string]pagePolicy
}

type pagePolicy struct {
	size    int64
	modTime time.Time
	csp     string
}

// policy returns the CSP of the HTML file name in root.
func (p *pagePolicies) policy(root fs.FS, name string) string {
	st, err := fs.Stat(root, name)
	if err != nil {
		return cspBase + "; script-src 'self'"
	}
	p.mu.Lock()
	c, ok := p.m[name]
	p.mu.Unlock()
	if ok && c.size == st.Size() && c.modTime.Equal(st.ModTime()) {
		return c.csp
	}
	page, err := fs.ReadFile(root, name)
	if err != nil {
		return cspBase + "; script-src 'self'"
	}
	csp := cspBase + "; script-src 'self'" + InlineScriptHashes(page)
	p.mu.Lock()
	if p.m == nil {
		p.m = map[string]pagePolicy{}
	}
	p.m[name] = pagePolicy{size: st.Size(), modTime: st.ModTime(), csp: csp}
	p.mu.Unlock()
	return csp
}

// InlineScriptHashes returns " 'sha256-…'" for each distinct inline
// <script> (one without a src attribute) of an HTML page, in order.
func InlineScriptHashes(page []byte) string {
	var b strings.Builder
	seen := map[string]bool{}
	rest := page
	for {
		i := indexFold(rest, []byte("<script"))
		if i < 0 {
			break
		}
		rest = rest[i+len("<script"):]
		end := bytes.IndexByte(rest, '>')
		if end < 0 {
			break
		}
		attrs := rest[:end]
		if len(attrs) > 0 && attrs[0] != ' ' && attrs[0] != '\t' && attrs[0] != '\n' && attrs[0] != '/' {
			continue // e.g. <scripts>, not a script element
		}
		rest = rest[end+1:]
		closing := indexFold(rest, []byte("</script"))
		if closing < 0 {
			break
		}
		body := rest[:closing]
		rest = rest[closing:]
		if hasSrc(attrs) {
			continue
		}
		sum := sha256.Sum256(body)
		h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !seen[h] {
			seen[h] = true
			b.WriteString(" " + h)
		}
	}
	return b.String()
}

// hasSrc reports whether a script tag's attributes include src.
func hasSrc(attrs []byte) bool {
	a := bytes.ToLower(attrs)
	for i := 0; ; {
		j := bytes.Index(a[i:], []byte("src"))
		if j < 0 {
			return false
		}
		j += i
		before := byte(' ')
		if j > 0 {
			before = a[j-1]
		}
		k := j + 3
		for k < len(a) && (a[k] == ' ' || a[k] == '\t' || a[k] == '\n') {
			k++
		}
		if (before == ' ' || before == '\t' || before == '\n') && k < len(a) && a[k] == '=' {
			return true
		}
		i = j + 3
	}
}

func indexFold(s, sub []byte) int {
	return bytes.Index(bytes.ToLower(s), sub)
}
