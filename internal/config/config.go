// Package config turns environment variables and flags into one validated
// Config. A bad value is an error that names the variable or flag.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Roles a process can take.
const (
	RoleAll    = "all"
	RoleAPI    = "api"
	RoleWorker = "worker"
)

// Config is the whole configuration of a nextflow process.
type Config struct {
	// Addr is the HTTP listen address (NEXTFLOW_ADDR, --addr).
	Addr string
	// DataDir holds the SQLite file and generated secrets (NEXTFLOW_DATA_DIR, --data-dir).
	DataDir string
	// DatabaseURL is empty for embedded SQLite or a postgres:// URL (DATABASE_URL).
	DatabaseURL string
	// RedisURL is optional (REDIS_URL).
	RedisURL string
	// SecretKey encrypts secrets at rest (NEXTFLOW_SECRET_KEY), 32+ bytes.
	SecretKey []byte
	// Role is all, api or worker (NEXTFLOW_ROLE, --role).
	Role string
	// BaseURL is the public URL used in links (NEXTFLOW_BASE_URL).
	BaseURL string
	// MetaGraphURL is the Graph API base URL WhatsApp and Messenger calls
	// go to (NEXTFLOW_META_GRAPH_URL, default DefaultMetaGraphURL): a
	// self-hosted gateway or a test server instead of Meta's. It is the
	// operator's, so calls to it skip the SSRF guard.
	MetaGraphURL string
	// MetaAPIVersion is the Graph API version ("v21.0";
	// NEXTFLOW_META_API_VERSION, default DefaultMetaAPIVersion).
	MetaAPIVersion string
	// HTTPAllow lists hosts or CIDRs http.request may reach despite the SSRF
	// guard (NEXTFLOW_HTTP_ALLOW, comma separated).
	HTTPAllow []string
	// HTTPPorts are the ports tenant-driven outbound calls may reach besides
	// allow-listed destinations (NEXTFLOW_HTTP_PORTS: "80,443" or "any");
	// HTTPAnyPort is set for "any".
	HTTPPorts   []uint16
	HTTPAnyPort bool
	// Rate limits (limits.go): webhook posts per workflow and per tenant,
	// authenticated API calls per tenant, unauthenticated API calls per
	// client IP.
	RateLimits RateLimits
	// LogLevel and LogFormat (NEXTFLOW_LOG_LEVEL, NEXTFLOW_LOG_FORMAT: json|text).
	LogLevel  slog.Level
	LogFormat string
	// MigrateOnStart applies migrations when serve starts (NEXTFLOW_MIGRATE, --migrate).
	MigrateOnStart bool
	// WebDir serves the dashboard from a folder instead of the embedded build
	// (NEXTFLOW_WEB_DIR, --web-dir), handy while developing it.
	WebDir string
	// MaxBodyBytes caps request bodies (NEXTFLOW_MAX_BODY_BYTES).
	MaxBodyBytes int64
	// PasswordHashConcurrency bounds the password hashes (argon2id, 19 MiB
	// each) that run at once; sign-ins beyond it queue briefly, then get
	// 503 (NEXTFLOW_PASSWORD_HASH_CONCURRENCY; 0: one per CPU, GOMAXPROCS).
	PasswordHashConcurrency int
	// MaxUncommittedCalls bounds the side-effect calls (sends, HTTP
	// requests, AI calls) a process has under way whose outcome is not
	// committed yet (NEXTFLOW_MAX_UNCOMMITTED_CALLS, 1 to 4096, default
	// engine.DefaultMaxUncommittedCalls): the most calls a SIGKILL of the
	// process can leave to be made again, and the most outcomes one group
	// commit can gather (engine.Options.MaxUncommittedCalls).
	MaxUncommittedCalls int
	// CallQueue bounds the calls a process holds waiting to be made by
	// itself, after the starts that reached them (NEXTFLOW_CALL_QUEUE, 1
	// to 1,048,576, default engine.DefaultCallQueue); a start that finds
	// it full leaves its call to an advance job, which costs more per call
	// (engine.Options.CallQueue).
	CallQueue int
	// JobTimeout bounds one job (NEXTFLOW_JOB_TIMEOUT); a job left running
	// by a dead process is handed back when its lease expires (about 10 s,
	// see store.QueueLease), not after the job timeout.
	JobTimeout time.Duration
	// ShutdownTimeout bounds graceful shutdown (NEXTFLOW_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// SecretKeyGenerated is true when the key was created on this start.
	SecretKeyGenerated bool
	// SecretKeysPrevious still open credentials sealed before a key
	// rotation (NEXTFLOW_SECRET_KEY_PREVIOUS, comma separated, same format
	// as NEXTFLOW_SECRET_KEY); `nextflow secrets rotate-key` re-seals them
	// under SecretKey, after which they can be dropped.
	SecretKeysPrevious [][]byte
	// TrustProxy honours X-Forwarded-For and X-Forwarded-Proto, for client
	// IPs (sign-in throttling, audit) and Secure cookies behind a reverse
	// proxy that sets them (NEXTFLOW_TRUST_PROXY, --trust-proxy).
	TrustProxy bool
	// Retention is how long history is kept per plan, the operator's
	// overrides, how often it is pruned, and River's finished jobs
	// (retention.go).
	Retention Retention
	// SMTPURL is the system mail server that sends invitations, e.g.
	// smtp://user:pass@host:587?from=noreply@example.com (NEXTFLOW_SMTP_URL).
	SMTPURL string
	// OperatorToken opens River's UI at /admin/river for operators
	// (NEXTFLOW_OPERATOR_TOKEN, at least 32 characters; empty: the UI is
	// not served). It is not a tenant credential.
	OperatorToken string
	// Metrics configures query monitoring and /metrics (metrics.go).
	Metrics Metrics
	// Tracing configures OpenTelemetry traces from the OTEL_* variables
	// (tracing.go).
	Tracing Tracing
}

// Dialect reports "sqlite" or "postgres" from DatabaseURL.
func (c *Config) Dialect() string {
	if c.DatabaseURL == "" {
		return "sqlite"
	}
	return "postgres"
}

// Error is a configuration error naming the offending setting.
type Error struct {
	Name string
	Msg  string
}

func (e *Error) Error() string { return e.Name + ": " + e.Msg }

// Bounds of NEXTFLOW_MAX_UNCOMMITTED_CALLS and NEXTFLOW_CALL_QUEUE. The
// defaults are the engine's engine.DefaultMaxUncommittedCalls and
// engine.DefaultCallQueue (the engine imports this package through
// tracing, so they are written twice; a test of internal/app keeps them
// equal).
const (
	DefaultMaxUncommittedCalls = 64
	maxMaxUncommittedCalls     = 4096
	DefaultCallQueue           = 16384
	maxCallQueue               = 1 << 20
)

// Defaults of the Meta Graph API settings.
const (
	DefaultMetaGraphURL   = "https://graph.facebook.com"
	DefaultMetaAPIVersion = "v21.0"
)

var metaVersionRe = regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,3}$`)

// Load reads the serve configuration from args (flags) and getenv. Flags win
// over the environment. The secret key is loaded or, in SQLite mode,
// generated into the data folder.
func Load(args []string, getenv func(string) string) (*Config, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	addr := fs.String("addr", env("NEXTFLOW_ADDR", ":3000"), "listen address")
	dataDir := fs.String("data-dir", env("NEXTFLOW_DATA_DIR", "./data"), "data folder")
	role := fs.String("role", env("NEXTFLOW_ROLE", RoleAll), "process role: all, api or worker")
	dbURL := fs.String("database-url", env("DATABASE_URL", ""), "database URL (empty: SQLite)")
	redisURL := fs.String("redis-url", env("REDIS_URL", ""), "Redis URL")
	baseURL := fs.String("base-url", env("NEXTFLOW_BASE_URL", ""), "public URL")
	httpAllow := fs.String("http-allow", env("NEXTFLOW_HTTP_ALLOW", ""), "hosts or CIDRs http.request may reach")
	httpPorts := fs.String("http-ports", env("NEXTFLOW_HTTP_PORTS", DefaultHTTPPorts), "ports outbound calls may reach: a list or any")
	rates := rateFlags(fs, env)
	logLevel := fs.String("log-level", env("NEXTFLOW_LOG_LEVEL", "info"), "log level")
	logFormat := fs.String("log-format", env("NEXTFLOW_LOG_FORMAT", "json"), "log format: json or text")
	migrate := fs.Bool("migrate", env("NEXTFLOW_MIGRATE", "") == "true" || env("NEXTFLOW_MIGRATE", "") == "1", "apply migrations on start")
	webDir := fs.String("web-dir", env("NEXTFLOW_WEB_DIR", ""), "serve the dashboard from this folder")
	maxBody := fs.String("max-body-bytes", env("NEXTFLOW_MAX_BODY_BYTES", "1048576"), "request body limit")
	hashConcurrency := fs.String("password-hash-concurrency", env("NEXTFLOW_PASSWORD_HASH_CONCURRENCY", "0"), "password hashes at once (0: one per CPU)")
	maxUncommitted := fs.String("max-uncommitted-calls", env("NEXTFLOW_MAX_UNCOMMITTED_CALLS", strconv.Itoa(DefaultMaxUncommittedCalls)), "side-effect calls under way whose outcome is not committed yet")
	callQueue := fs.String("call-queue", env("NEXTFLOW_CALL_QUEUE", strconv.Itoa(DefaultCallQueue)), "calls waiting to be made by the process that started them")
	jobTimeout := fs.String("job-timeout", env("NEXTFLOW_JOB_TIMEOUT", "1m"), "timeout of one job")
	shutdown := fs.String("shutdown-timeout", env("NEXTFLOW_SHUTDOWN_TIMEOUT", "20s"), "graceful shutdown deadline")
	trustProxy := fs.Bool("trust-proxy", env("NEXTFLOW_TRUST_PROXY", "") == "true" || env("NEXTFLOW_TRUST_PROXY", "") == "1", "trust X-Forwarded-For/-Proto from a reverse proxy")
	retention := retentionFlags(fs, env)
	smtpURL := fs.String("smtp-url", env("NEXTFLOW_SMTP_URL", ""), "system SMTP server for invitation emails")
	metaGraphURL := fs.String("meta-graph-url", env("NEXTFLOW_META_GRAPH_URL", DefaultMetaGraphURL), "Graph API base URL for WhatsApp and Messenger")
	metaAPIVersion := fs.String("meta-api-version", env("NEXTFLOW_META_API_VERSION", DefaultMetaAPIVersion), "Graph API version")
	operatorToken := env("NEXTFLOW_OPERATOR_TOKEN", "") // no flag: a token on the command line shows in ps
	metrics := metricsFlags(fs, env)
	if err := fs.Parse(args); err != nil {
		return nil, &Error{Name: "flags", Msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, &Error{Name: "flags", Msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}

	c := &Config{
		Addr:           *addr,
		DataDir:        *dataDir,
		DatabaseURL:    *dbURL,
		RedisURL:       *redisURL,
		Role:           *role,
		BaseURL:        strings.TrimRight(*baseURL, "/"),
		LogFormat:      *logFormat,
		WebDir:         *webDir,
		MigrateOnStart: *migrate,
		TrustProxy:     *trustProxy,
		SMTPURL:        *smtpURL,
		OperatorToken:  operatorToken,
		MetaGraphURL:   strings.TrimRight(*metaGraphURL, "/"),
		MetaAPIVersion: *metaAPIVersion,
	}
	if u, err := url.Parse(c.MetaGraphURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{Name: "NEXTFLOW_META_GRAPH_URL", Msg: fmt.Sprintf("must be an http(s) URL, got %q", c.MetaGraphURL)}
	}
	if !metaVersionRe.MatchString(c.MetaAPIVersion) {
		return nil, &Error{Name: "NEXTFLOW_META_API_VERSION", Msg: fmt.Sprintf("must look like v21.0, got %q", c.MetaAPIVersion)}
	}
	if c.OperatorToken != "" && len(c.OperatorToken) < 32 {
		return nil, &Error{Name: "NEXTFLOW_OPERATOR_TOKEN", Msg: "must be at least 32 characters (e.g. openssl rand -hex 32)"}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return nil, &Error{Name: "NEXTFLOW_ADDR", Msg: fmt.Sprintf("must be host:port or :port, got %q", c.Addr)}
	}
	if c.DataDir == "" {
		return nil, &Error{Name: "NEXTFLOW_DATA_DIR", Msg: "must not be empty"}
	}
	if err := validateDatabaseURL(c.DatabaseURL); err != nil {
		return nil, err
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return nil, &Error{Name: "REDIS_URL", Msg: fmt.Sprintf("must be a redis:// or rediss:// URL, got %q", c.RedisURL)}
		}
	}
	switch c.Role {
	case RoleAll, RoleAPI, RoleWorker:
	default:
		return nil, &Error{Name: "NEXTFLOW_ROLE", Msg: fmt.Sprintf("must be all, api or worker, got %q", c.Role)}
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, &Error{Name: "NEXTFLOW_BASE_URL", Msg: fmt.Sprintf("must be an http(s) URL, got %q", c.BaseURL)}
		}
	}
	for _, h := range strings.Split(*httpAllow, ",") {
		if h = strings.TrimSpace(h); h != "" {
			if strings.Contains(h, "/") {
				if _, _, err := net.ParseCIDR(h); err != nil {
					return nil, &Error{Name: "NEXTFLOW_HTTP_ALLOW", Msg: fmt.Sprintf("%q is not a valid CIDR", h)}
				}
			}
			c.HTTPAllow = append(c.HTTPAllow, h)
		}
	}
	if err := c.parseOutbound(*httpPorts, rates); err != nil {
		return nil, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return nil, &Error{Name: "NEXTFLOW_LOG_LEVEL", Msg: fmt.Sprintf("must be debug, info, warn or error, got %q", *logLevel)}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return nil, &Error{Name: "NEXTFLOW_LOG_FORMAT", Msg: fmt.Sprintf("must be json or text, got %q", c.LogFormat)}
	}
	n, err := strconv.ParseInt(*maxBody, 10, 64)
	if err != nil || n < 1024 {
		return nil, &Error{Name: "NEXTFLOW_MAX_BODY_BYTES", Msg: fmt.Sprintf("must be an integer ≥ 1024, got %q", *maxBody)}
	}
	c.MaxBodyBytes = n
	hc, err := strconv.Atoi(*hashConcurrency)
	if err != nil || hc < 0 || hc > 1024 {
		return nil, &Error{Name: "NEXTFLOW_PASSWORD_HASH_CONCURRENCY", Msg: fmt.Sprintf("must be an integer from 0 (one per CPU) to 1024, got %q", *hashConcurrency)}
	}
	c.PasswordHashConcurrency = hc
	if c.MaxUncommittedCalls, err = intFromOne("NEXTFLOW_MAX_UNCOMMITTED_CALLS", *maxUncommitted, maxMaxUncommittedCalls); err != nil {
		return nil, err
	}
	if c.CallQueue, err = intFromOne("NEXTFLOW_CALL_QUEUE", *callQueue, maxCallQueue); err != nil {
		return nil, err
	}
	d, err := time.ParseDuration(*shutdown)
	if err != nil || d <= 0 {
		return nil, &Error{Name: "NEXTFLOW_SHUTDOWN_TIMEOUT", Msg: fmt.Sprintf("must be a positive duration like 20s, got %q", *shutdown)}
	}
	c.ShutdownTimeout = d
	jt, err := time.ParseDuration(*jobTimeout)
	if err != nil || jt < time.Second {
		return nil, &Error{Name: "NEXTFLOW_JOB_TIMEOUT", Msg: fmt.Sprintf("must be a duration of at least 1s, got %q", *jobTimeout)}
	}
	c.JobTimeout = jt
	if c.Retention, err = retention.parse(); err != nil {
		return nil, err
	}
	if c.Metrics, err = metrics.parse(); err != nil {
		return nil, err
	}
	if c.Tracing, err = loadTracing(env); err != nil {
		return nil, err
	}
	if err := c.LoadSecretKeys(getenv); err != nil {
		return nil, err
	}
	return c, nil
}

// LoadSecretKeys loads NEXTFLOW_SECRET_KEY (or, on SQLite, the generated
// key file) and NEXTFLOW_SECRET_KEY_PREVIOUS into c, for commands that
// open credentials.
func (c *Config) LoadSecretKeys(getenv func(string) string) error {
	if err := c.loadSecretKey(getenv("NEXTFLOW_SECRET_KEY")); err != nil {
		return err
	}
	c.SecretKeysPrevious = nil
	for i, raw := range strings.Split(getenv("NEXTFLOW_SECRET_KEY_PREVIOUS"), ",") {
		if raw = strings.TrimSpace(raw); raw == "" {
			continue
		}
		if b, err := hex.DecodeString(raw); err == nil && len(b) >= 32 {
			c.SecretKeysPrevious = append(c.SecretKeysPrevious, b)
			continue
		}
		if len(raw) < 32 {
			return &Error{Name: "NEXTFLOW_SECRET_KEY_PREVIOUS", Msg: fmt.Sprintf("key %d must be at least 32 bytes (e.g. 64 hex characters)", i+1)}
		}
		c.SecretKeysPrevious = append(c.SecretKeysPrevious, []byte(raw))
	}
	return nil
}

// LoadDatabase reads only what the migrate and admin commands need:
// DATABASE_URL and the data folder.
func LoadDatabase(args []string, getenv func(string) string) (*Config, error) {
	fs := flag.NewFlagSet("db", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	dataDir := fs.String("data-dir", orDefault(getenv("NEXTFLOW_DATA_DIR"), "./data"), "data folder")
	dbURL := fs.String("database-url", getenv("DATABASE_URL"), "database URL")
	if err := fs.Parse(args); err != nil {
		return nil, &Error{Name: "flags", Msg: err.Error()}
	}
	c := &Config{DataDir: *dataDir, DatabaseURL: strings.TrimSpace(*dbURL), LogFormat: "text"}
	if err := validateDatabaseURL(c.DatabaseURL); err != nil {
		return nil, err
	}
	return c, nil
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return strings.TrimSpace(v)
}

func validateDatabaseURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return &Error{Name: "DATABASE_URL", Msg: fmt.Sprintf("must be empty (embedded SQLite in the data folder) or a postgres:// URL, got %q", raw)}
	}
	if u.Host == "" && u.Query().Get("host") == "" {
		return &Error{Name: "DATABASE_URL", Msg: "postgres URL has no host"}
	}
	return nil
}

// loadSecretKey takes NEXTFLOW_SECRET_KEY (hex, or any string of 32+
// bytes) or, in SQLite mode, reads or generates <data>/secret.key.
func (c *Config) loadSecretKey(raw string) error {
	raw = strings.TrimSpace(raw)
	if raw != "" {
		if b, err := hex.DecodeString(raw); err == nil && len(b) >= 32 {
			c.SecretKey = b
			return nil
		}
		if len(raw) < 32 {
			return &Error{Name: "NEXTFLOW_SECRET_KEY", Msg: "must be at least 32 bytes (e.g. 64 hex characters from `openssl rand -hex 32`)"}
		}
		c.SecretKey = []byte(raw)
		return nil
	}
	if c.DatabaseURL != "" {
		return &Error{Name: "NEXTFLOW_SECRET_KEY", Msg: "is required with PostgreSQL (every node must share it); generate one with `openssl rand -hex 32`"}
	}
	path := filepath.Join(c.DataDir, "secret.key")
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(key) < 32 {
			return &Error{Name: "NEXTFLOW_SECRET_KEY", Msg: fmt.Sprintf("%s is not a valid key (64 hex characters expected)", path)}
		}
		c.SecretKey = key
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return &Error{Name: "NEXTFLOW_DATA_DIR", Msg: fmt.Sprintf("read %s: %v", path, err)}
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return &Error{Name: "NEXTFLOW_DATA_DIR", Msg: fmt.Sprintf("create %s: %v", c.DataDir, err)}
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("generate secret key: %w", err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return &Error{Name: "NEXTFLOW_DATA_DIR", Msg: fmt.Sprintf("write %s: %v", path, err)}
	}
	c.SecretKey = key
	c.SecretKeyGenerated = true
	return nil
}

// Logger builds the process logger from the configuration.
func (c *Config) Logger(w *os.File) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// intFromOne parses the setting name's value raw, an integer from 1 to
// most.
func intFromOne(name, raw string, most int) (int, error) {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > most {
		return 0, &Error{Name: name, Msg: fmt.Sprintf("must be an integer from 1 to %d, got %q", most, raw)}
	}
	return n, nil
}
