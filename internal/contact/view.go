package contact

import (
	"encoding/json"
	"time"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

// View is a stored contact as expressions and templates see it (and as
// an execution's context stores it):
//
//	{"id", "externalId", "email", "phone", "messengerPsid", "name",
//	 "timezone", "locale", "attributes": {…},
//	 "subscriptions": {"email": {"state", "source", "at"}, …},
//	 "createdAt", "lastSeenAt"}
//
// Missing optional fields are "" (so `contact.email != ""` works without
// has()), times are RFC 3339 strings ("" when never seen), and numbers in
// attributes are float64, as anything read back from JSON.
func View(c *domain.Contact) map[string]any {
	attrs := map[string]any{}
	if len(c.Attributes) > 0 {
		_ = json.Unmarshal(c.Attributes, &attrs)
		if attrs == nil {
			attrs = map[string]any{}
		}
	}
	subs := make(map[string]any, len(c.Subscriptions))
	for ch, s := range c.Subscriptions {
		subs[ch] = map[string]any{"state": s.State, "source": s.Source, "at": s.At.UTC().Format(time.RFC3339Nano)}
	}
	lastSeen := ""
	if c.LastSeenAt != nil {
		lastSeen = c.LastSeenAt.UTC().Format(time.RFC3339Nano)
	}
	return map[string]any{
		"id":            c.ID.String(),
		"externalId":    deref(c.ExternalID),
		"email":         deref(c.Email),
		"phone":         deref(c.Phone),
		"messengerPsid": deref(c.MessengerPSID),
		"name":          c.Name,
		"timezone":      c.Timezone,
		"locale":        c.Locale,
		"attributes":    attrs,
		"subscriptions": subs,
		"createdAt":     c.CreatedAt.UTC().Format(time.RFC3339Nano),
		"lastSeenAt":    lastSeen,
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
