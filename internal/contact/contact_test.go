package contact

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	ok := []struct {
		fn       func(string) (string, error)
		in, want string
	}{
		{NormalizeEmail, "  Ada@Example.COM ", "ada@example.com"},
		{NormalizePhone, "+49 (151) 1234-5678", "+4915112345678"},
		{NormalizePhone, "0049 151 12345678", "+4915112345678"},
		{NormalizeTimezone, "Europe/Berlin", "Europe/Berlin"},
		{NormalizeTimezone, "", ""},
		{NormalizeLocale, "de_de", "de-DE"},
		{NormalizeLocale, "en", "en"},
		{NormalizeExternalID, " user-42 ", "user-42"},
		{NormalizePSID, "1234567890", "1234567890"},
		{NormalizeName, " Ada Lovelace ", "Ada Lovelace"},
	}
	for _, tc := range ok {
		got, err := tc.fn(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got)
	}
	bad := []struct {
		fn    func(string) (string, error)
		in    string
		field string
	}{
		{NormalizeEmail, "not-an-email", "email"},
		{NormalizeEmail, "Ada <ada@example.com>", "email"},
		{NormalizeEmail, "", "email"},
		{NormalizeEmail, strings.Repeat("a", 250) + "@example.com", "email"},
		{NormalizePhone, "015112345678", "phone"},
		{NormalizePhone, "+0151", "phone"},
		{NormalizePhone, "+1234567890123456", "phone"},
		{NormalizeTimezone, "Mars/Olympus", "timezone"},
		{NormalizeTimezone, "Local", "timezone"},
		{NormalizeLocale, "not a locale", "locale"},
		{NormalizeExternalID, "", "externalId"},
		{NormalizeExternalID, "a\x00b", "externalId"},
		{NormalizeExternalID, strings.Repeat("x", 256), "externalId"},
		{NormalizePSID, "abc", "messengerPsid"},
	}
	for _, tc := range bad {
		_, err := tc.fn(tc.in)
		var fe *FieldError
		require.True(t, errors.As(err, &fe), "%q: %v", tc.in, err)
		require.Equal(t, tc.field, fe.Field)
	}
}

func TestParams(t *testing.T) {
	t.Parallel()
	tenant := uuid.New()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	email, ext, phone := "ADA@example.com", "u-1", ""
	p, err := Params(tenant, &Input{ExternalID: &ext, Email: &email, Phone: &phone,
		Attributes:    json.RawMessage(` {"plan": "pro", "gone": null} `),
		Subscriptions: map[string]SubscriptionInput{"email": {State: "subscribed"}}}, Options{Now: now, Source: "api"})
	require.NoError(t, err)
	require.Equal(t, "ada@example.com", *p.Email)
	require.Equal(t, "", *p.Phone, "an empty phone clears it")
	require.JSONEq(t, `{"plan":"pro","gone":null}`, string(p.Attributes))
	require.Equal(t, domain.Subscription{State: "subscribed", Source: "api", At: now}, p.Subscriptions["email"])
	require.Equal(t, DefaultMaxAttributesBytes, p.MaxAttributesBytes)

	_, err = Params(tenant, &Input{}, Options{})
	require.ErrorIs(t, err, ErrNoIdentity)

	_, err = Params(tenant, &Input{ExternalID: &ext, Attributes: json.RawMessage(`[1]`)}, Options{})
	var fe *FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "attributes", fe.Field)

	_, err = Params(tenant, &Input{ExternalID: &ext, Attributes: json.RawMessage(`{"a":"` + strings.Repeat("x", 100) + `"}`)}, Options{MaxAttributesBytes: 50})
	require.ErrorAs(t, err, &fe)
	require.True(t, fe.TooLarge)
	require.Contains(t, fe.Message, "limit 50")

	_, err = Params(tenant, &Input{ExternalID: &ext, Subscriptions: map[string]SubscriptionInput{"email": {State: "maybe"}}}, Options{})
	require.ErrorAs(t, err, &fe)
	_, err = Params(tenant, &Input{ExternalID: &ext, Subscriptions: map[string]SubscriptionInput{"E-Mail": {State: "never"}}}, Options{})
	require.ErrorAs(t, err, &fe)
}

func TestFromTraits(t *testing.T) {
	t.Parallel()
	tenant := uuid.New()
	seen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p, err := FromTraits(tenant, "u-9", json.RawMessage(`{"email":"Bob@Example.com","firstName":"Bob","lastName":"Stone",
		"phone":"+1 202 555 0123","timezone":"America/New_York","locale":"en-US","plan":"pro","age":41,"company":null}`),
		Options{SeenAt: &seen})
	require.NoError(t, err)
	require.Equal(t, "u-9", *p.ExternalID)
	require.Equal(t, "bob@example.com", *p.Email)
	require.Equal(t, "+12025550123", *p.Phone)
	require.Equal(t, "Bob Stone", *p.Name)
	require.Equal(t, "America/New_York", *p.Timezone)
	require.Equal(t, "en-US", *p.Locale)
	require.JSONEq(t, `{"plan":"pro","age":41,"company":null,"firstName":"Bob","lastName":"Stone"}`, string(p.Attributes))
	require.Equal(t, &seen, p.LastSeenAt)

	p, err = FromTraits(tenant, "", json.RawMessage(`{"email":"x@example.com","name":"X"}`), Options{})
	require.NoError(t, err)
	require.Nil(t, p.ExternalID)
	require.Equal(t, "X", *p.Name)

	_, err = FromTraits(tenant, "", json.RawMessage(`{"name":"Anonymous"}`), Options{})
	require.ErrorIs(t, err, ErrNoIdentity)
	_, err = FromTraits(tenant, "u", json.RawMessage(`{"email":42}`), Options{})
	var fe *FieldError
	require.ErrorAs(t, err, &fe)
	_, err = FromTraits(tenant, "u", json.RawMessage(`[1]`), Options{})
	require.ErrorAs(t, err, &fe)
	p, err = FromTraits(tenant, "u", nil, Options{})
	require.NoError(t, err)
	require.Nil(t, p.Attributes)
}

func TestView(t *testing.T) {
	t.Parallel()
	email := "ada@example.com"
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &domain.Contact{ID: uuid.New(), Email: &email, Name: "Ada", Timezone: "Europe/Berlin",
		Attributes:    json.RawMessage(`{"plan":"pro","seats":3}`),
		Subscriptions: map[string]domain.Subscription{"email": {State: "subscribed", Source: "api", At: at}},
		CreatedAt:     at}
	v := View(c)
	require.Equal(t, c.ID.String(), v["id"])
	require.Equal(t, "", v["externalId"])
	require.Equal(t, email, v["email"])
	require.Equal(t, "Europe/Berlin", v["timezone"])
	require.Equal(t, map[string]any{"plan": "pro", "seats": 3.0}, v["attributes"])
	require.Equal(t, map[string]any{"state": "subscribed", "source": "api", "at": "2026-01-02T03:04:05Z"}, v["subscriptions"].(map[string]any)["email"])
	require.Equal(t, "", v["lastSeenAt"])
	// The view survives a JSON round trip unchanged (it is stored in the
	// execution context).
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	var back map[string]any
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, v, back)
}
