package messenger

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	for _, tc := range []struct {
		name  string
		last  time.Time
		tag   string
		reply bool
		want  Decision
		err   error
		words string
	}{
		{"reply inside 24h", ago(time.Hour), "", true, Decision{MessagingType: Response}, nil, ""},
		{"update inside 24h", ago(23*time.Hour + 59*time.Minute), "", false, Decision{MessagingType: Update}, nil, ""},
		{"tag not needed inside 24h", ago(time.Hour), "POST_PURCHASE_UPDATE", false, Decision{MessagingType: Update}, nil, ""},
		{"clock skew counts as now", now.Add(time.Minute), "", true, Decision{MessagingType: Response}, nil, ""},
		{"exactly 24h is outside", ago(24 * time.Hour), "", false, Decision{}, ErrOutsideWindow, "more than 24 hours"},
		{"outside 24h without tag", ago(30 * time.Hour), "", true, Decision{}, ErrOutsideWindow, "1d6h ago"},
		{"human agent within 7 days", ago(6*24*time.Hour + 23*time.Hour), TagHumanAgent, false, Decision{MessagingType: MessageTag, Tag: TagHumanAgent}, nil, ""},
		{"human agent after 7 days", ago(7 * 24 * time.Hour), TagHumanAgent, false, Decision{}, ErrOutsideWindow, "7 days"},
		{"unconfirmed tag outside 24h", ago(25 * time.Hour), "ACCOUNT_UPDATE", false, Decision{}, ErrTagNotSupported, "only HUMAN_AGENT"},
		{"never wrote", time.Time{}, TagHumanAgent, false, Decision{}, ErrOutsideWindow, "never written"},
	} {
		got, err := Decide(tc.last, now, tc.tag, tc.reply)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.name)
			require.ErrorContains(t, err, tc.words, tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, got, tc.name)
	}
}
