// Package deploy holds the container deployment files (compose.yaml,
// Caddyfile) and the tests that check their shape where docker is not
// available.
package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// composeFile is the part of the Compose specification this file uses.
type composeFile struct {
	Name string `yaml:"name"`
	// Base is the x-nextflow extension the nodes merge from.
	Base     map[string]any            `yaml:"x-nextflow"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Restart     string            `yaml:"restart"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Disable     bool     `yaml:"disable"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
	StopGracePeriod string `yaml:"stop_grace_period"`
}

// serviceKeys are the Compose service keys this file may use; an unknown
// or misspelt key fails the test (docker compose config would reject it).
var serviceKeys = []string{"build", "image", "command", "restart", "environment", "ports", "volumes",
	"depends_on", "healthcheck", "stop_grace_period"}

func load(t *testing.T) (composeFile, map[string]any) {
	t.Helper()
	raw, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	var f composeFile
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(&f), "compose.yaml has a key outside the checked Compose subset")
	var generic map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &generic))
	return f, generic
}

func TestComposeTopology(t *testing.T) {
	f, generic := load(t)
	for name, s := range generic["services"].(map[string]any) {
		for k := range s.(map[string]any) {
			require.Contains(t, serviceKeys, k, "service %s: unknown key %q", name, k)
		}
	}

	var apis, workers, migrators []string
	for name, s := range f.Services {
		if s.Build == nil {
			continue
		}
		require.Equal(t, "..", s.Build.Context, name)
		require.Equal(t, "Dockerfile", s.Build.Dockerfile, name)
		_, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile))
		require.NoError(t, err, "%s builds from a Dockerfile that exists", name)
		cmd := strings.Join(s.Command, " ")
		switch {
		case cmd == "migrate up":
			migrators = append(migrators, name)
		case cmd == "serve --role api":
			apis = append(apis, name)
		case cmd == "serve --role worker":
			workers = append(workers, name)
		default:
			t.Fatalf("service %s runs %q", name, cmd)
		}
		require.NotContains(t, s.Command, "--migrate", "%s: migrations run once, in the migrate service", name)
		env := s.Environment
		require.True(t, strings.HasPrefix(env["DATABASE_URL"], "postgres://"), "%s: DATABASE_URL", name)
		require.True(t, strings.HasPrefix(env["REDIS_URL"], "redis://"), "%s: REDIS_URL", name)
		require.True(t, strings.HasPrefix(env["NEXTFLOW_SECRET_KEY"], "${NEXTFLOW_SECRET_KEY:?"),
			"%s: the secret key comes from the operator's environment, never from this file", name)
	}
	slices.Sort(apis)
	slices.Sort(workers)
	require.Equal(t, []string{"migrate"}, migrators)
	require.Equal(t, []string{"api-1", "api-2"}, apis)
	require.Equal(t, []string{"worker-1", "worker-2"}, workers)

	// Migrations run as the schema's owner; the nodes connect as the
	// ordinary role row-level security applies to, after the owner has
	// kept the system-token table to itself.
	migrate := f.Services["migrate"]
	require.Equal(t, "service_healthy", migrate.DependsOn["postgres"].Condition)
	require.Equal(t, "no", migrate.Restart)
	require.True(t, strings.HasPrefix(migrate.Environment["DATABASE_URL"], "postgres://nextflow_owner:"))
	grants := f.Services["db-grants"]
	require.Equal(t, "service_completed_successfully", grants.DependsOn["migrate"].Condition)
	require.Contains(t, strings.Join(grants.Command, " "), "REVOKE ALL ON nextflow_system_tokens FROM nextflow_app")
	require.Equal(t, "nextflow_owner", grants.Environment["PGUSER"])
	init, err := os.ReadFile("postgres/init.sh")
	require.NoError(t, err)
	for _, want := range []string{"CREATE ROLE nextflow_app LOGIN NOSUPERUSER NOBYPASSRLS", "CREATE DATABASE nextflow OWNER nextflow_owner", "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO nextflow_app"} {
		require.Contains(t, string(init), want)
	}
	for _, name := range append(apis, workers...) {
		s := f.Services[name]
		require.True(t, strings.HasPrefix(s.Environment["DATABASE_URL"], "postgres://nextflow_app:"), "%s connects as the app role", name)
		require.Equal(t, "service_completed_successfully", s.DependsOn["db-grants"].Condition, "%s starts after the migrations and grants", name)
		require.Equal(t, "service_healthy", s.DependsOn["redis"].Condition, name)
		require.NotNil(t, s.Healthcheck, name)
		require.Equal(t, []string{"CMD", "/nextflow", "healthcheck"}, s.Healthcheck.Test, "%s: checked on /readyz", name)
		require.Equal(t, ":8080", s.Environment["NEXTFLOW_ADDR"], name)
		require.NotEmpty(t, s.StopGracePeriod, "%s: time to drain before SIGKILL", name)
	}
	for _, name := range []string{"postgres", "redis"} {
		require.NotNil(t, f.Services[name].Healthcheck, name)
		require.NotEmpty(t, f.Services[name].Healthcheck.Test, name)
	}

	proxy := f.Services["proxy"]
	require.Equal(t, []string{"8080:8080"}, proxy.Ports)
	for _, api := range apis {
		require.Equal(t, "service_healthy", proxy.DependsOn[api].Condition)
	}
	for _, v := range append(proxy.Volumes, f.Services["postgres"].Volumes...) {
		src := strings.SplitN(v, ":", 2)[0]
		if strings.HasPrefix(src, "./") {
			_, err := os.Stat(src)
			require.NoError(t, err, "mounted file %s exists", src)
		} else {
			require.Contains(t, f.Volumes, src, "named volume %s is declared", src)
		}
	}
}

func TestCaddyfileBalancesOnReadiness(t *testing.T) {
	raw, err := os.ReadFile("Caddyfile")
	require.NoError(t, err)
	s := string(raw)
	require.Contains(t, s, "reverse_proxy api-1:8080 api-2:8080")
	require.Contains(t, s, "health_uri /readyz")
	require.Contains(t, s, "flush_interval -1", "SSE streams must not be buffered")
	require.Equal(t, strings.Count(s, "{"), strings.Count(s, "}"), "balanced braces")
}

func TestDockerfileIsStaticAndUnprivileged(t *testing.T) {
	raw, err := os.ReadFile("../Dockerfile")
	require.NoError(t, err)
	s := string(raw)
	var froms []string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "FROM ") {
			froms = append(froms, line)
		}
	}
	require.NotEmpty(t, froms)
	require.Equal(t, "FROM scratch", froms[len(froms)-1], "the runtime image holds nothing but the binary")
	require.Contains(t, s, "CGO_ENABLED=0 go build")
	require.Contains(t, s, "USER 65532:65532")
	require.Contains(t, s, "internal/webui/dist/", "the dashboard is embedded")

	// The binary builds without cgo: no package it links needs C.
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go not on PATH")
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if .CgoFiles}}{{.ImportPath}}{{end}}", "../cmd/nextflow")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Empty(t, strings.TrimSpace(string(out)), "packages that need cgo")
}
