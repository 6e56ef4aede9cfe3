package workflow

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Secrets never live in a workflow: node configs refer to workspace
// credentials by name, as {{ secrets.NAME }} inside templates or as a
// credential field (trigger.webhook's secretCredential). The helpers below
// find those references, refuse plain secrets, and move plain values of
// older definitions out (see Extract).

// CodeUnknownCredential is the problem code of a reference to a credential
// the workspace does not have.
const CodeUnknownCredential = "unknown_credential"

// CodePlainSecret is the problem code of a secret written in plain text
// into a node config.
const CodePlainSecret = "plain_secret"

// WebhookAuth modes of trigger.webhook.
const (
	WebhookAuthNone      = "none"
	WebhookAuthSignature = "signature"
	WebhookAuthBearer    = "bearer"
)

// credentialName is what a credential may be called.
var credentialName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// secretRef matches {{ secrets.NAME }} (with optional whitespace control).
var secretRef = regexp.MustCompile(`\{\{-?\s*secrets\.([A-Za-z0-9_]{1,64})\s*-?\}\}`)

// ValidCredentialName reports whether name can name a credential: 1–64
// letters, digits or underscores.
func ValidCredentialName(name string) bool { return credentialName.MatchString(name) }

// SecretRefPattern matches a {{ secrets.NAME }} reference; the first
// submatch is the name.
func SecretRefPattern() *regexp.Regexp { return secretRef }

// WebhookAuthMode is the effective auth mode of a trigger.webhook config:
// the explicit one, else signature when a credential is named, else none.
func WebhookAuthMode(auth, credential string) string {
	switch {
	case auth != "":
		return auth
	case credential != "":
		return WebhookAuthSignature
	}
	return WebhookAuthNone
}

func checkWebhookAuth(c map[string]any) []ConfigIssue {
	auth, _ := c["auth"].(string)
	cred, _ := c["secretCredential"].(string)
	if mode := WebhookAuthMode(auth, cred); mode != WebhookAuthNone && cred == "" {
		return []ConfigIssue{{Path: "/secretCredential", Message: "auth " + mode + " needs a credential holding the shared secret"}}
	}
	return nil
}

// sensitiveHeader reports whether a header carries credentials by its name.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	for _, part := range []string{"auth", "token", "secret", "password", "passwd", "api-key", "apikey", "api_key", "cookie", "session", "signature", "private"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

// plainHeaderValue reports whether a sensitive header's value is a secret
// written in plain text: anything but templates. A value with {{ }} takes
// its secret from a credential or from the execution's data.
func plainHeaderValue(v string) bool {
	v = strings.TrimSpace(v)
	return v != "" && !strings.Contains(v, "{{")
}

// SecretRefs lists the credential names a definition refers to, each with
// the IDs of the nodes that do, sorted by name.
func SecretRefs(def *Definition) map[string][]string {
	out := map[string][]string{}
	add := func(name, node string) {
		if !slices.Contains(out[name], node) {
			out[name] = append(out[name], node)
		}
	}
	for _, n := range def.Nodes {
		var cfg any
		if len(n.Config) == 0 || json.Unmarshal(n.Config, &cfg) != nil {
			continue
		}
		walkStrings(cfg, func(s string) {
			for _, m := range secretRef.FindAllStringSubmatch(s, -1) {
				add(m[1], n.ID)
			}
		})
		if n.Type == TypeTriggerWebhook {
			if m, ok := cfg.(map[string]any); ok {
				if name, _ := m["secretCredential"].(string); name != "" {
					add(name, n.ID)
				}
			}
		}
	}
	return out
}

func walkStrings(v any, fn func(string)) {
	switch t := v.(type) {
	case string:
		fn(t)
	case map[string]any:
		for _, x := range t {
			walkStrings(x, fn)
		}
	case []any:
		for _, x := range t {
			walkStrings(x, fn)
		}
	}
}

// UnknownCredentials returns a problem on every node that refers to a
// credential for which exists reports false.
func UnknownCredentials(def *Definition, exists func(name string) bool) []Problem {
	refs := SecretRefs(def)
	names := make([]string, 0, len(refs))
	for name := range refs {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []Problem
	for _, name := range names {
		if exists(name) {
			continue
		}
		for _, node := range refs[name] {
			out = append(out, Problem{Code: CodeUnknownCredential, NodeID: node,
				Message: fmt.Sprintf("credential %q does not exist: create it under Settings → Credentials", name)})
		}
	}
	return out
}

// PlainSecrets finds secrets written in plain text into node configs: a
// trigger.webhook secret, a literal value of a credential-carrying HTTP
// header (Authorization, X-Api-Key…), a password in a URL. Each is a
// problem that says to use a credential instead.
func PlainSecrets(def *Definition) []Problem {
	var out []Problem
	for _, n := range def.Nodes {
		var cfg map[string]any
		if len(n.Config) == 0 || json.Unmarshal(n.Config, &cfg) != nil {
			continue
		}
		switch n.Type {
		case TypeTriggerWebhook:
			if s, ok := cfg["secret"]; ok && s != nil && s != "" {
				out = append(out, Problem{Code: CodePlainSecret, NodeID: n.ID, Path: "/secret",
					Message: "a webhook secret may not be stored in the workflow: put it in a workspace credential and name it in secretCredential"})
			}
		case TypeHTTPRequest:
			headers, _ := cfg["headers"].(map[string]any)
			names := make([]string, 0, len(headers))
			for k := range headers {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				if v, ok := headers[k].(string); ok && sensitiveHeader(k) && plainHeaderValue(v) {
					out = append(out, Problem{Code: CodePlainSecret, NodeID: n.ID, Path: "/headers/" + k,
						Message: fmt.Sprintf("header %s carries a secret in plain text: put the value in a workspace credential and write {{ secrets.NAME }}", k)})
				}
			}
			if raw, ok := cfg["url"].(string); ok {
				if u, err := url.Parse(raw); err == nil && u.User != nil {
					if _, has := u.User.Password(); has && !strings.Contains(u.User.String(), "%7B%7B") {
						out = append(out, Problem{Code: CodePlainSecret, NodeID: n.ID, Path: "/url",
							Message: "the URL carries a password: send it in an Authorization header from a workspace credential instead"})
					}
				}
			}
		}
	}
	return out
}

// Redacted replaces a secret value in responses.
const Redacted = "[redacted]"

// RedactSecrets blanks plain secrets in a definition before it is shown
// (a second wall: plain secrets are refused on save and moved into
// credentials on start). It reports whether it changed anything.
func RedactSecrets(def *Definition) bool {
	changed := false
	for i := range def.Nodes {
		n := &def.Nodes[i]
		if n.Type != TypeTriggerWebhook && n.Type != TypeHTTPRequest {
			continue
		}
		var cfg map[string]any
		if len(n.Config) == 0 || json.Unmarshal(n.Config, &cfg) != nil {
			continue
		}
		touched := false
		if n.Type == TypeTriggerWebhook {
			if _, ok := cfg["secret"]; ok {
				cfg["secret"] = Redacted
				touched = true
			}
		} else if headers, ok := cfg["headers"].(map[string]any); ok {
			for k, v := range headers {
				if s, ok := v.(string); ok && sensitiveHeader(k) && plainHeaderValue(s) {
					headers[k] = Redacted
					touched = true
				}
			}
		}
		if touched {
			if b, err := json.Marshal(cfg); err == nil {
				n.Config = b
				changed = true
			}
		}
	}
	return changed
}

// ExtractedSecret is a plain secret moved out of a definition.
type ExtractedSecret struct {
	NodeID string
	// Name is the credential the config now refers to.
	Name string
	// Kind is a domain.Credential kind ("webhook_secret", "http_header").
	Kind  string
	Value string
	// What says where it was, for the credential's description.
	What string
}

// ExtractSecrets moves the plain secrets PlainSecrets finds (webhook
// secrets and header values; a password in a URL is left for the author)
// out of a definition: each config is rewritten to refer to a credential
// named by name(nodeID, suffix, value) (which may store the value), and
// the values are returned. A definition without plain secrets is returned
// nil.
func ExtractSecrets(raw json.RawMessage, name func(nodeID, suffix, value string) (string, error)) (json.RawMessage, []ExtractedSecret, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, fmt.Errorf("decode definition: %w", err)
	}
	nodes, _ := doc["nodes"].([]any)
	var out []ExtractedSecret
	for _, rn := range nodes {
		node, _ := rn.(map[string]any)
		cfg, _ := node["config"].(map[string]any)
		if cfg == nil {
			continue
		}
		id, _ := node["id"].(string)
		typ, _ := node["type"].(string)
		switch typ {
		case TypeTriggerWebhook:
			s, ok := cfg["secret"].(string)
			if !ok {
				continue
			}
			delete(cfg, "secret")
			if s == "" || s == Redacted {
				continue
			}
			cname, err := name(id, "SECRET", s)
			if err != nil {
				return nil, nil, err
			}
			cfg["secretCredential"] = cname
			if _, ok := cfg["auth"]; !ok {
				cfg["auth"] = WebhookAuthSignature
			}
			out = append(out, ExtractedSecret{NodeID: id, Name: cname, Kind: "webhook_secret", Value: s,
				What: fmt.Sprintf("webhook secret of node %s", id)})
		case TypeHTTPRequest:
			headers, _ := cfg["headers"].(map[string]any)
			keys := make([]string, 0, len(headers))
			for k := range headers {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				v, ok := headers[k].(string)
				if !ok || !sensitiveHeader(k) || !plainHeaderValue(v) || v == Redacted {
					continue
				}
				cname, err := name(id, headerSuffix(k), v)
				if err != nil {
					return nil, nil, err
				}
				headers[k] = "{{ secrets." + cname + " }}"
				out = append(out, ExtractedSecret{NodeID: id, Name: cname, Kind: "http_header", Value: v,
					What: fmt.Sprintf("header %s of node %s", k, id)})
			}
		}
	}
	if len(out) == 0 {
		return nil, nil, nil
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("encode definition: %w", err)
	}
	return b, out, nil
}

// headerSuffix turns a header name into credential-name characters.
func headerSuffix(h string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(h) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
