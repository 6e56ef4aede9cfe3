package api

import (
	"net/http"
	"strings"
)

// hstsValue is the Strict-Transport-Security of responses served over
// https: one year, subdomains included.
const hstsValue = "max-age=31536000; includeSubDomains"

// SecurityHeaders sets the headers every API response carries: nosniff,
// no framing (CSP frame-ancestors 'none' and X-Frame-Options DENY, for
// browsers that predate CSP), no referrer leaving the origin, and HSTS
// when the request came over https (directly, or by X-Forwarded-Proto
// when trustProxy is set). A handler may set its own
// Content-Security-Policy (the API reference page does); the others stay.
func SecurityHeaders(trustProxy bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		if RequestHTTPS(r, trustProxy) {
			h.Set("Strict-Transport-Security", hstsValue)
		}
		next.ServeHTTP(w, r)
	})
}

// RequestHTTPS reports whether r reached us over https: TLS on this
// connection, or, when trustProxy is set, X-Forwarded-Proto https from the
// reverse proxy (its last value: the one the proxy nearest us added).
func RequestHTTPS(r *http.Request, trustProxy bool) bool {
	if r.TLS != nil {
		return true
	}
	if !trustProxy {
		return false
	}
	v := r.Header.Values("X-Forwarded-Proto")
	if len(v) == 0 {
		return false
	}
	last := v[len(v)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

// trustProxy reports NEXTFLOW_TRUST_PROXY.
func (s *Server) trustProxy() bool {
	return s.deps.Config != nil && s.deps.Config.TrustProxy
}
