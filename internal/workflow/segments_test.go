package workflow

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// TestTriggerSegmentConfig: the schema takes a segment ID, entered or
// exited and a re-entry policy, and refuses anything else; the refs and
// the unknown-segment problem point at the node and its /segmentId.
func TestTriggerSegmentConfig(t *testing.T) {
	t.Parallel()
	seg := uuid.New()
	wrap := func(cfg string) []byte {
		return []byte(`{"nodes":[{"id":"start","type":"trigger.segment","config":` + cfg + `},{"id":"done","type":"end"}],
		 "edges":[{"id":"e","source":"start","target":"done"}]}`)
	}
	_, ps, err := DecodeAndValidate(wrap(`{"segmentId":"`+seg.String()+`","on":"exited","reentry":"once"}`), DefaultLimits())
	require.NoError(t, err)
	require.Empty(t, ps)
	for _, bad := range []string{`{}`, `{"segmentId":"vip"}`, `{"segmentId":"` + seg.String() + `","on":"joined"}`,
		`{"segmentId":"` + seg.String() + `","reentry":"twice"}`, `{"segmentId":"` + seg.String() + `","filter":"true"}`} {
		_, ps, err := DecodeAndValidate(wrap(bad), DefaultLimits())
		require.NoError(t, err)
		require.NotEmpty(t, ps, bad)
		require.Equal(t, CodeInvalidConfig, ps[0].Code, bad)
	}

	def, err := Parse(wrap(`{"segmentId":"` + seg.String() + `"}`))
	require.NoError(t, err)
	require.Equal(t, map[uuid.UUID][]string{seg: {"start"}}, SegmentRefs(def))
	require.Empty(t, UnknownSegments(def, func(id uuid.UUID) bool { return id == seg }))
	ps = UnknownSegments(def, func(uuid.UUID) bool { return false })
	require.Len(t, ps, 1)
	require.Equal(t, Problem{Code: CodeUnknownSegment, NodeID: "start", Path: "/segmentId", Message: ps[0].Message}, ps[0])
	require.Equal(t, EventSegmentEntered, TriggerSegmentConfig{}.Event())
	require.Equal(t, EventSegmentExited, TriggerSegmentConfig{On: SegmentExited}.Event())
	require.Equal(t, ReentryOneAtATime, TriggerSegmentConfig{}.ReentryPolicy())
}
