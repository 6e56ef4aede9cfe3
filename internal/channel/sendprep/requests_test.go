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

func keep(t *testing.T, r *Requests[testRequest], exec uuid.UUID, node, text string) (json.RawMessage, *testRequest) {
	t.Helper()
	v := &testRequest{MessageID: uuid.New(), Text: text}
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	r.Keep(exec, node, raw, v)
	return raw, v
}

func TestRequestsGivesBackTheKeptRequestForItsBytesOnly(t *testing.T) {
	t.Parallel()
	r := NewRequests[testRequest]()
	exec := uuid.New()
	raw, v := keep(t, r, exec, "send", "hello")

	got, err := r.Decode(exec, "send", append(json.RawMessage(nil), raw...))
	require.NoError(t, err)
	require.Same(t, v, got, "the same bytes: the kept request, not decoded again")

	// The stored request read back as PostgreSQL's jsonb gives it (other
	// bytes), or another request for the same step: decoded from its bytes.
	other := json.RawMessage(`{"text": "stored", "messageId": "` + v.MessageID.String() + `"}`)
	require.Nil(t, r.Get(exec, "send", other))
	got, err = r.Decode(exec, "send", other)
	require.NoError(t, err)
	require.NotSame(t, v, got)
	require.Equal(t, "stored", got.Text)

	require.Nil(t, r.Get(exec, "other-node", raw))
	require.Nil(t, r.Get(uuid.New(), "send", raw))

	_, err = r.Decode(uuid.New(), "send", json.RawMessage(`{`))
	require.Error(t, err)
}

func TestRequestsForgetAndReplace(t *testing.T) {
	t.Parallel()
	r := NewRequests[testRequest]()
	exec := uuid.New()
	raw1, _ := keep(t, r, exec, "send", "first")
	raw2, v2 := keep(t, r, exec, "send", "again") // prepared again after a rollback
	require.Nil(t, r.Get(exec, "send", raw1))
	require.Same(t, v2, r.Get(exec, "send", raw2))
	require.Equal(t, 1, r.Len())

	r.Forget(exec, "send")
	require.Nil(t, r.Get(exec, "send", raw2))
	require.Zero(t, r.Len())
	require.Zero(t, r.curBytes)
}

func TestRequestsAreBoundedByCountAndBytes(t *testing.T) {
	t.Parallel()
	r := newRequests[testRequest](4, 1<<20)
	execs := make([]uuid.UUID, 10)
	raws := make([]json.RawMessage, 10)
	for i := range execs {
		execs[i] = uuid.New()
		raws[i], _ = keep(t, r, execs[i], "send", "x")
		require.LessOrEqual(t, r.Len(), 8)
	}
	// The latest generation and the one before it are kept.
	require.NotNil(t, r.Get(execs[9], "send", raws[9]))
	require.NotNil(t, r.Get(execs[4], "send", raws[4]))
	require.Nil(t, r.Get(execs[3], "send", raws[3]), "dropped with its generation")

	// A generation also starts over past its bytes.
	r = newRequests[testRequest](1000, 200)
	for i := range execs {
		raws[i], _ = keep(t, r, execs[i], "send", "0123456789012345678901234567890123456789")
		require.LessOrEqual(t, r.curBytes, 200)
	}
	require.NotNil(t, r.Get(execs[9], "send", raws[9]))
	require.Nil(t, r.Get(execs[0], "send", raws[0]))
	require.Less(t, r.Len(), 10)
}
