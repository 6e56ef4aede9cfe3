package archtest

import (
	"bufio"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Layers from the bottom up. A package may import packages of its own
// layer or a lower one, never a higher one.
const (
	layerBase    = iota + 1 // leaves: types, parsers, small services with no store
	layerStore              // the store seam, its dialects and test harness
	layerService            // definitions and services over the store
	layerEngine             // execution: engine, cron, event ingestion
	layerEdge               // the HTTP API and the benchmark harnesses
	layerApp                // the process wiring and end-to-end tests
)

var layerNames = map[int]string{
	layerBase:    "base",
	layerStore:   "store",
	layerService: "service",
	layerEngine:  "engine",
	layerEdge:    "edge",
	layerApp:     "app",
}

// rule says where a package under internal/ sits and which of our
// packages it may import.
type rule struct {
	layer int
	// imports lists the packages (paths below internal/) its files may
	// import.
	imports []string
	// tests lists the further packages its _test.go files may import;
	// testHelpers are allowed in every package's tests.
	tests []string
	// testsAbove lists packages of a higher layer that its external
	// (package x_test) tests may import, each with a reason in a comment.
	testsAbove []string
	// anyLower lets the package import every package whose layer is not
	// above its own (benchmark harnesses that drive the whole stack).
	anyLower bool
}

// testHelpers may be imported by any package's tests.
var testHelpers = []string{"store/storetest", "execlock/execlocktest", "proctest"}

// rules is the allow-list: the import graph of internal/ as it is meant to
// be.
var rules = map[string]rule{
	// Base: leaves and near-leaves.
	"domain":                {layer: layerBase},
	"expr":                  {layer: layerBase},
	"tmpl":                  {layer: layerBase},
	"schedule":              {layer: layerBase},
	"secret":                {layer: layerBase},
	"engine/netguard":       {layer: layerBase, imports: []string{"tracing"}},
	"execlock":              {layer: layerBase},
	"execlock/execlocktest": {layer: layerBase},
	"ratelog":               {layer: layerBase},
	"benchmeter":            {layer: layerBase},
	"ratelimit":             {layer: layerBase},
	"redisconn":             {layer: layerBase},
	"config":                {layer: layerBase, imports: []string{"ratelimit"}},
	"live":                  {layer: layerBase, imports: []string{"ratelog"}},
	"webui":                 {layer: layerBase},
	"ai/aifake":             {layer: layerBase},
	"plan":                  {layer: layerBase, imports: []string{"domain"}},
	"channel/metawebhook":   {layer: layerBase},
	"channel/metafake":      {layer: layerBase, imports: []string{"channel/metawebhook"}},
	// The email transport; smtptest is its in-process SMTP server.
	"channel/email":          {layer: layerBase, imports: []string{"engine/netguard", "tracing"}, tests: []string{"channel/email/smtptest"}},
	"channel/email/smtptest": {layer: layerBase},
	// Optional OpenTelemetry traces: provider from the OTEL_* settings, HTTP, River and span helpers.
	"tracing": {layer: layerBase, imports: []string{"config", "ratelog"}},

	// Store.
	"store":                 {layer: layerStore, imports: []string{"domain", "tracing"}},
	"store/postgres":        {layer: layerStore, imports: []string{"domain", "live", "store", "store/postgres/dbsqlc"}},
	"store/postgres/dbsqlc": {layer: layerStore},
	"store/sqlite":          {layer: layerStore, imports: []string{"domain", "store", "store/sqlite/dbsqlc"}},
	"store/sqlite/dbsqlc":   {layer: layerStore},
	"store/storeopen":       {layer: layerStore, imports: []string{"store", "store/postgres", "store/sqlite"}},
	"store/storetest":       {layer: layerStore, imports: []string{"domain", "store", "store/postgres", "store/sqlite"}},
	"proctest":              {layer: layerStore, imports: []string{"store/storetest"}},
	// The benchmark harnesses' tenants and workflows.
	"benchfixture": {layer: layerStore, imports: []string{"domain", "store"}},

	// Services.
	"ai":            {layer: layerService, imports: []string{"domain", "engine/netguard", "secret", "store", "workflow"}, tests: []string{"ai/aifake"}},
	"workflow":      {layer: layerService, imports: []string{"expr", "schedule", "tmpl"}},
	"auth":          {layer: layerService, imports: []string{"domain", "store"}},
	"usage":         {layer: layerService, imports: []string{"domain", "plan", "store"}}, // plan usage: monthly counters, counted rows
	"credential":    {layer: layerService, imports: []string{"domain", "secret", "store", "workflow"}},
	"contact":       {layer: layerService, imports: []string{"config", "domain", "expr", "store"}},
	"contactimport": {layer: layerService, imports: []string{"config", "contact", "domain", "plan", "store"}, tests: []string{"usage"}},
	// History pruned by plan ages: a River job and `nextflow admin prune`.
	"retention": {layer: layerService, imports: []string{"domain", "plan", "store"}},
	"analytics": {layer: layerService, imports: []string{"store"}, tests: []string{"workflow"}},
	// Prometheus registry and the hooks it hands the API, store and engine.
	"metrics": {layer: layerService, imports: []string{"live", "store"}},
	// Channel connections (secrets sealed), templates and previews.
	"channel": {layer: layerService, imports: []string{"contact", "domain", "secret", "store", "tmpl"}},
	// One-click unsubscribe tokens and the service that applies them.
	"channel/unsubscribe": {layer: layerService, imports: []string{"domain", "store"}, tests: []string{"secret"}},
	// Starter journeys (embedded definitions); the test publishes each through the catalog.
	"workflow/starter": {layer: layerService, imports: []string{"workflow"},
		tests: []string{"domain", "store", "store/storetest"}, testsAbove: []string{"catalog"}},

	// Engine.
	"engine": {layer: layerEngine, imports: []string{
		"contact", "domain", "engine/netguard", "execlock", "expr", "live", "ratelog", "store", "tmpl", "tracing", "workflow",
	}},
	"cron": {layer: layerEngine, imports: []string{"domain", "engine", "schedule", "store", "workflow"},
		tests: []string{"store/postgres"}},
	"ingest":  {layer: layerEngine, imports: []string{"auth", "config", "contact", "domain", "engine", "plan", "store"}, tests: []string{"usage"}},
	"segment": {layer: layerEngine, imports: []string{"domain", "engine", "store", "workflow"}},
	// Broadcasts: a workflow run once per member of a segment, at a rate.
	"broadcast":        {layer: layerEngine, imports: []string{"contact", "domain", "engine", "store", "workflow"}, tests: []string{"segment"}},
	"channel/sendprep": {layer: layerEngine, imports: []string{"domain", "engine", "plan", "store"}},
	"channel/whatsapp": {layer: layerEngine, imports: []string{
		"channel/metawebhook", "channel/sendprep", "domain", "engine", "plan", "ratelimit", "store", "tmpl", "tracing", "workflow",
	}, tests: []string{"channel/metafake", "store/postgres"}},
	"channel/messenger": {layer: layerEngine, imports: []string{
		"channel/metawebhook", "channel/sendprep", "domain", "engine", "plan", "ratelimit", "store", "tmpl", "tracing", "workflow",
	}, tests: []string{"channel/metafake"}},
	"channel/emailsend": {layer: layerEngine, imports: []string{
		"channel/email", "channel/sendprep", "channel/unsubscribe", "domain", "engine", "plan", "store", "tmpl", "workflow",
	}, tests: []string{"channel/email/smtptest", "secret", "store/postgres", "store/sqlite", "usage"}},
	// The AI side effects: ai.generate, ai.classify, ai.extract.
	"ai/aistep": {layer: layerEngine, imports: []string{"ai", "contact", "domain", "engine", "plan", "store", "tmpl", "workflow"},
		tests: []string{"ai/aifake", "secret", "store/sqlite", "usage"}},
	"catalog": {layer: layerEngine, imports: []string{"domain", "engine", "schedule", "store", "workflow"}, tests: []string{"cron", "store/postgres"}},

	// Edge.
	"api": {layer: layerEdge, imports: []string{
		"auth", "plan", "usage", "config", "credential", "cron", "domain", "engine", "live", "ratelimit", "schedule", "store", "workflow",
		"catalog", "contact", "contactimport", "ingest", "channel/messenger", "channel/metawebhook", "channel/whatsapp",
		"channel/unsubscribe", "channel", "ai", "workflow/starter", "segment", "broadcast", "tracing",
	}, tests: []string{"ai/aifake", "secret", "store/postgres"},
		testsAbove: []string{"app"}, // openapi_names_test.go reads the production OpenAPI document app assembles
	},
	"engine/enginebench":       {layer: layerEdge, anyLower: true},
	"cron/cronbench":           {layer: layerEdge, anyLower: true},
	"httpbench":                {layer: layerEdge, anyLower: true},
	"retention/soakbench":      {layer: layerEdge, anyLower: true},
	"segment/segmentbench":     {layer: layerEdge, anyLower: true},
	"analytics/analyticsbench": {layer: layerEdge, anyLower: true},
	"opsui":                    {layer: layerEdge, imports: []string{"store"}},

	// App.
	"app": {layer: layerApp, imports: []string{
		"api", "usage", "auth", "config", "credential", "cron", "engine", "execlock", "live", "ratelimit", "ratelog",
		"redisconn", "secret", "store", "store/postgres", "store/storeopen", "webui", "workflow",
		"catalog", "contact", "contactimport", "engine/enginebench", "cron/cronbench", "httpbench", "ingest",
		"opsui", "channel/unsubscribe", "channel/email", "channel/emailsend", "channel", "channel/whatsapp",
		"domain", "channel/messenger", "ai", "ai/aistep", "retention", "analytics", "segment", "metrics",
		"broadcast", "tracing",
	}},
	"e2e":      {layer: layerApp, tests: []string{"channel/email/smtptest", "channel/metafake"}},
	"archtest": {layer: layerApp},
}

const ruleFile = "internal/archtest/arch_test.go"

// TestRulesKeepLayers checks the allow-list itself: every arrow it allows
// points to a known package of the same or a lower layer.
func TestRulesKeepLayers(t *testing.T) {
	t.Parallel()
	var problems []string
	for _, name := range sortedKeys(rules) {
		r := rules[name]
		if layerNames[r.layer] == "" {
			problems = append(problems, fmt.Sprintf("%s has no layer", name))
			continue
		}
		for _, imp := range r.testsAbove {
			if _, ok := rules[imp]; !ok {
				problems = append(problems, fmt.Sprintf("%s allows %s in tests, which has no rule of its own", name, imp))
			}
		}
		for _, imp := range slices.Concat(r.imports, r.tests) {
			target, ok := rules[imp]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s allows %s, which has no rule of its own", name, imp))
			case target.layer > r.layer:
				problems = append(problems, fmt.Sprintf(
					"%s (layer %s) allows %s (layer %s): a lower layer may not import a higher one; move what both need down instead",
					name, layerNames[r.layer], imp, layerNames[target.layer]))
			}
		}
	}
	if len(problems) > 0 {
		t.Fatalf("%s:\n%s", ruleFile, strings.Join(problems, "\n"))
	}
}

// TestImportsFollowRules reads the imports of every Go file under
// internal/ and fails on an import of one of our packages that the
// importing package's rule does not allow.
func TestImportsFollowRules(t *testing.T) {
	t.Parallel()
	root, module := moduleRoot(t)
	pkgs, err := readImports(root, module+"/internal/")
	require.NoError(t, err)
	require.Contains(t, pkgs, "engine", "the walk found no engine package: is the module root right?")

	var problems []string
	for _, name := range sortedKeys(pkgs) {
		r, ok := rules[name]
		if !ok {
			problems = append(problems, fmt.Sprintf(
				"internal/%s has no rule: add %q to rules in %s, with its layer and the packages it may import",
				name, name, ruleFile))
			continue
		}
		for _, imp := range pkgs[name] {
			if allowed(name, r, imp) {
				continue
			}
			problems = append(problems, describe(name, r, imp))
		}
	}
	if len(problems) > 0 {
		t.Fatalf("imports not in the allow-list:\n%s", strings.Join(problems, "\n"))
	}
}

// fileImport is one import of one of our packages by one file.
type fileImport struct {
	file     string // relative to the module root
	pkg      string // imported package, relative to internal/
	test     bool   // the importing file is a _test.go file
	external bool   // the importing file is in an external test package (x_test)
}

func allowed(name string, r rule, imp fileImport) bool {
	if imp.pkg == name { // external test package importing its own package
		return imp.test
	}
	if slices.Contains(r.imports, imp.pkg) {
		return true
	}
	if imp.test && (slices.Contains(r.tests, imp.pkg) || slices.Contains(testHelpers, imp.pkg) ||
		(imp.external && slices.Contains(r.testsAbove, imp.pkg))) {
		return true
	}
	if r.anyLower {
		target, ok := rules[imp.pkg]
		return ok && target.layer <= r.layer
	}
	return false
}

func describe(name string, r rule, imp fileImport) string {
	msg := fmt.Sprintf("%s imports internal/%s, which internal/%s may not import", imp.file, imp.pkg, name)
	target, ok := rules[imp.pkg]
	switch {
	case !ok:
		return msg + fmt.Sprintf("; internal/%s has no rule: add %q to rules in %s first", imp.pkg, imp.pkg, ruleFile)
	case target.layer > r.layer:
		msg += fmt.Sprintf(
			": %s is in layer %s, above %s's layer %s, and a lower layer may not import a higher one; move what both need down instead",
			imp.pkg, layerNames[target.layer], name, layerNames[r.layer])
		if imp.external {
			msg += fmt.Sprintf(" (an external test that needs the assembled product may be allowed in rules[%q].testsAbove, with the reason)", name)
		}
		return msg
	}
	list := "imports"
	if imp.test {
		list = "tests"
	}
	return msg + fmt.Sprintf("; if the arrow is intended, add %q to rules[%q].%s in %s", imp.pkg, name, list, ruleFile)
}

// readImports parses the import clauses of every .go file under the
// module's internal/ directory and returns, per package path relative to
// internal/, the imports whose path starts with prefix.
func readImports(root, prefix string) (map[string][]fileImport, error) {
	dir := filepath.Join(root, "internal")
	pkgs := map[string][]fileImport{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if path != dir && (base == "testdata" || base == "node_modules" ||
				strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return fmt.Errorf("parse imports of %s: %w", path, err)
		}
		rel, err := filepath.Rel(dir, filepath.Dir(path))
		if err != nil {
			return fmt.Errorf("package path of %s: %w", path, err)
		}
		name := filepath.ToSlash(rel)
		file, err := filepath.Rel(root, path)
		if err != nil {
			return fmt.Errorf("relative path of %s: %w", path, err)
		}
		if _, ok := pkgs[name]; !ok {
			pkgs[name] = nil
		}
		for _, spec := range f.Imports {
			p, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return fmt.Errorf("import path in %s: %w", path, err)
			}
			if !strings.HasPrefix(p, prefix) {
				continue
			}
			pkgs[name] = append(pkgs[name], fileImport{
				file:     filepath.ToSlash(file),
				pkg:      strings.TrimPrefix(p, prefix),
				test:     strings.HasSuffix(path, "_test.go"),
				external: strings.HasSuffix(f.Name.Name, "_test"),
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", dir, err)
	}
	return pkgs, nil
}

// moduleRoot finds the directory holding go.mod above the working
// directory and returns it with the module path.
func moduleRoot(t *testing.T) (dir, module string) {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
					return dir, strings.Trim(strings.TrimSpace(m), `"`)
				}
			}
			require.NoError(t, sc.Err())
			t.Fatalf("%s/go.mod has no module line", dir)
		}
		require.True(t, errors.Is(err, fs.ErrNotExist), "open go.mod: %v", err)
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the working directory")
		dir = parent
	}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
