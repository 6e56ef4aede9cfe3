package store_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
)

func TestStorable(t *testing.T) {
	t.Parallel()
	require.Equal(t, "ok é", store.StorableText("ok é"))
	require.Equal(t, "a\uFFFDb\uFFFD", store.StorableText("a\x00b\xff"))
	for in, want := range map[string]string{
		`{"a":"x"}`:              `{"a":"x"}`,
		`{"a":"x\u0000y"}`:       `{"a":"x\ufffdy"}`,
		`{"k\u0000":["\u0000"]}`: `{"k\ufffd":["\ufffd"]}`,
		`{"a":"\\u0000"}`:        `{"a":"\\u0000"}`, // an escaped backslash: text, kept
		`{"a":"\\\u0000"}`:       `{"a":"\\\ufffd"}`,
		`{"a":"\u00001"}`:        `{"a":"\ufffd1"}`,
	} {
		got := store.StorableJSON(json.RawMessage(in))
		require.Equal(t, want, string(got), in)
		require.True(t, json.Valid(got), in)
	}
}
