// Package webui serves the dashboard: the static Next.js export embedded in
// the binary (copied into dist/ by `make web`), a folder on disk when one is
// configured, or a placeholder page that says how to build it.
package webui

import (
	"embed"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
)

//go:embed all:dist
var distFS embed.FS

//go:embed placeholder
var placeholderFS embed.FS

// Handler returns the dashboard handler. dir, when not empty, serves the
// build from disk instead of the embedded one. Every response carries the
// security headers (headers.go): nosniff, no framing, the referrer policy,
// HSTS over https, and on pages a Content-Security-Policy that allows the
// page's own inline scripts by hash.
func Handler(dir string, opts ...Option) http.Handler {
	var root fs.FS
	switch {
	case dir != "":
		root = os.DirFS(dir)
	case hasIndex(distFS, "dist"):
		root, _ = fs.Sub(distFS, "dist")
	default:
		root, _ = fs.Sub(placeholderFS, "placeholder")
	}
	h := &handler{root: root}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Embedded reports whether the binary carries a dashboard build.
func Embedded() bool { return hasIndex(distFS, "dist") }

func hasIndex(f fs.FS, dir string) bool {
	_, err := fs.Stat(f, path.Join(dir, "index.html"))
	return err == nil
}

type handler struct {
	root       fs.FS
	trustProxy bool
	policies   pagePolicies
}

// ServeHTTP serves a file of the export, resolving Next.js's "page.html"
// and "page/index.html" forms, falling back to the nearest index.html for
// client-side routes. path.Clean and fs.FS keep requests inside the root.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.setSecurityHeaders(w, r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	for _, candidate := range candidates(p) {
		if st, err := fs.Stat(h.root, candidate); err == nil && !st.IsDir() {
			h.serveFile(w, r, candidate)
			return
		}
	}
	if path.Ext(p) != "" && path.Ext(p) != ".html" {
		http.NotFound(w, r)
		return
	}
	// Every route of the static export is a file, so a path that is none
	// is an unknown URL: the export's 404 page, with status 404, says so.
	// An export without one (a development build) falls back to the shell.
	if page, err := fs.ReadFile(h.root, notFoundPage); err == nil {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Security-Policy", h.policies.policy(h.root, notFoundPage))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		if r.Method != http.MethodHead {
			_, _ = w.Write(page)
		}
		return
	}
	h.serveFile(w, r, "index.html")
}

// notFoundPage is the page Next.js exports for unknown URLs.
const notFoundPage = "404.html"

func candidates(p string) []string {
	if p == "" {
		return []string{"index.html"}
	}
	return []string{p, p + ".html", path.Join(p, "index.html")}
}

func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	if strings.HasPrefix(name, "_next/static/") {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	if path.Ext(name) == ".html" {
		w.Header().Set("Content-Security-Policy", h.policies.policy(h.root, name))
	}
	http.ServeFileFS(w, r, h.root, name)
}
