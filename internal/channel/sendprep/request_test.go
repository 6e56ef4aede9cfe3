package sendprep

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

type testRequest struct {
	MessageID uuid.UUID `json:"messageId"`
	Text      string    `json:"text"`
}

func messageIDOf(r *testRequest) uuid.UUID { return r.MessageID }

// TestDecodeTakesTheCarriedRequest: the request the engine carries (the
// one PrepareMany built) is used as it is; without it, or with a value of
// another type, the stored bytes are decoded.
func TestDecodeTakesTheCarriedRequest(t *testing.T) {
	t.Parallel()
	v := &testRequest{MessageID: uuid.New(), Text: "prepared"}
	raw, err := json.Marshal(v)
	require.NoError(t, err)

	got, err := Decode[testRequest](v, raw)
	require.NoError(t, err)
	require.Same(t, v, got, "the carried request, not decoded again")
	require.Equal(t, v.MessageID, MessageID(v, nil, messageIDOf), "read from the carried request")

	stored := json.RawMessage(`{"text": "stored", "messageId": "` + v.MessageID.String() + `"}`)
	for _, value := range []any{nil, (*testRequest)(nil), "another side effect's"} {
		got, err = Decode[testRequest](value, stored)
		require.NoError(t, err)
		require.NotSame(t, v, got)
		require.Equal(t, "stored", got.Text, "decoded from the bytes")
		require.Equal(t, v.MessageID, MessageID(value, stored, messageIDOf))
	}

	_, err = Decode[testRequest](nil, json.RawMessage(`{"text": 1}`))
	require.ErrorContains(t, err, "decode request")
	require.Equal(t, uuid.Nil, MessageID[testRequest](nil, json.RawMessage(`{}`), messageIDOf))
	require.Equal(t, uuid.Nil, MessageID[testRequest](nil, json.RawMessage(`not json`), messageIDOf))
}
