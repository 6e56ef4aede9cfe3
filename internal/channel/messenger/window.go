package messenger

import (
	"errors"
	"fmt"
	"time"
)

// Messaging windows, counted from the person's last action (a message, a
// postback, a quick reply).
const (
	// StandardWindow is how long after the person's last action the page
	// may send anything.
	StandardWindow = 24 * time.Hour
	// HumanAgentWindow is how long a HUMAN_AGENT-tagged reply is allowed.
	HumanAgentWindow = 7 * 24 * time.Hour
)

// Errors of Decide; both are permanent for the message.
var (
	// ErrOutsideWindow: the window the send would need has closed (or
	// never opened).
	ErrOutsideWindow = errors.New("outside the messaging window")
	// ErrTagNotSupported: the send needs a message tag NextFlow does not
	// send.
	ErrTagNotSupported = errors.New("message tag not supported")
)

// Decision is how a send goes out.
type Decision struct {
	MessagingType MessagingType
	// Tag is TagHumanAgent with MessageTag, else empty.
	Tag string
}

// Decide applies the window rule to a send at now to a person whose last
// action was at lastAction (zero: never), with the node's tag ("" when
// none). Inside StandardWindow the message goes as RESPONSE when it
// answers the person (reply) and as UPDATE otherwise, and the tag is not
// needed. Outside it, only TagHumanAgent within HumanAgentWindow goes
// (MESSAGE_TAG); any other tag is ErrTagNotSupported, and no tag or a
// closed seven-day window is ErrOutsideWindow. The error names the
// reason in words.
func Decide(lastAction, now time.Time, tag string, reply bool) (Decision, error) {
	if lastAction.IsZero() {
		return Decision{}, fmt.Errorf("%w: the person has never written to the page, so it cannot message them first", ErrOutsideWindow)
	}
	age := max(now.Sub(lastAction), 0)
	if age < StandardWindow {
		if reply {
			return Decision{MessagingType: Response}, nil
		}
		return Decision{MessagingType: Update}, nil
	}
	switch {
	case tag == "":
		return Decision{}, fmt.Errorf("%w: the person last wrote %s ago, more than 24 hours, and the node sets no message tag",
			ErrOutsideWindow, roundAge(age))
	case tag != TagHumanAgent:
		return Decision{}, fmt.Errorf("%w: %q: only %s is confirmed for sends outside the 24-hour window (the person last wrote %s ago)",
			ErrTagNotSupported, tag, TagHumanAgent, roundAge(age))
	case age >= HumanAgentWindow:
		return Decision{}, fmt.Errorf("%w: the person last wrote %s ago, more than the 7 days a %s reply is allowed",
			ErrOutsideWindow, roundAge(age), TagHumanAgent)
	}
	return Decision{MessagingType: MessageTag, Tag: TagHumanAgent}, nil
}

// roundAge renders a duration for a person: whole minutes under a day,
// else days and hours.
func roundAge(d time.Duration) string {
	if d < 24*time.Hour {
		return d.Round(time.Minute).String()
	}
	days := int(d / (24 * time.Hour))
	hours := int((d % (24 * time.Hour)) / time.Hour)
	return fmt.Sprintf("%dd%dh", days, hours)
}
