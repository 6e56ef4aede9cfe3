package whatsapp

import (
	"errors"
	"time"
)

// ServiceWindow is how long after a user's last inbound message a business
// may send any message type; outside it only approved templates go.
const ServiceWindow = 24 * time.Hour

// ErrWindowClosed refuses a free-form send outside the customer-service
// window: more than 24 hours since the contact last wrote, or never.
var ErrWindowClosed = errors.New("outside the 24-hour customer-service window: only an approved template may be sent")

// WindowOpen reports whether now is within ServiceWindow of lastInbound. A
// zero lastInbound (the contact never wrote) is closed.
func WindowOpen(lastInbound, now time.Time) bool {
	if lastInbound.IsZero() {
		return false
	}
	return now.Before(lastInbound.Add(ServiceWindow))
}

// CheckWindow applies the window rule to a message: a template may always
// be sent (to an opted-in user); text and media only inside the window.
func CheckWindow(m Message, lastInbound, now time.Time) error {
	if m.Template != nil || WindowOpen(lastInbound, now) {
		return nil
	}
	return ErrWindowClosed
}
