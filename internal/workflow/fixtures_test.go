package workflow

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// fixtureDir is where the shared realistic journeys live, relative to this
// package (shared/ beside the work tree). testdata/journeys holds a copy so
// the tests never skip; both are validated.
const (
	fixtureDir     = "../../../shared/fixtures/journeys"
	fixtureCopyDir = "testdata/journeys"
)

type fixture struct {
	name       string
	definition json.RawMessage
}

// loadFixtures reads the shared journeys (when shared/ is beside the tree)
// and the copy in testdata.
func loadFixtures(tb testing.TB) []fixture {
	tb.Helper()
	shared, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	require.NoError(tb, err)
	copies, err := filepath.Glob(filepath.Join(fixtureCopyDir, "*.json"))
	require.NoError(tb, err)
	require.NotEmpty(tb, copies, "fixture copies in %s", fixtureCopyDir)
	files := append(shared, copies...)
	var out []fixture
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(tb, err)
		var wrapper struct {
			Definition json.RawMessage `json:"definition"`
		}
		require.NoError(tb, json.Unmarshal(data, &wrapper), f)
		require.NotEmpty(tb, wrapper.Definition, f)
		out = append(out, fixture{name: f, definition: wrapper.Definition})
	}
	return out
}

func TestFixturesValidateClean(t *testing.T) {
	t.Parallel()
	r := Default()
	for _, fx := range loadFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			d, problems, err := r.DecodeAndValidate(fx.definition, DefaultLimits())
			require.NoError(t, err)
			require.Empty(t, problems)
			require.NotEmpty(t, d.Nodes)
		})
	}
}
