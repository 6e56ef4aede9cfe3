package ingest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/contact"
)

// TestDecodeContactAsTheWholeObject checks that reading a contact object
// key by key gives what decoding the whole object into contact.Input gives,
// and that a value of the wrong type is refused naming its field.
func TestDecodeContactAsTheWholeObject(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`{"externalId": "u1"}`,
		`{"externalId": "u1", "email": "a@example.com", "phone": "+33612345678", "messengerPsid": "p1", "name": "Ada",
		  "timezone": "Europe/Paris", "locale": "fr", "attributes": {"plan": "pro", "n": [1, 2]},
		  "subscriptions": {"email": {"state": "subscribed"}}}`,
		`{"externalId": null, "email": "a@example.com", "attributes": null, "subscriptions": null}`,
		`{"externalId": "first", "externalId": "second"}`,
		`{"attributes": { "spaced" :  "out" }, "email": "b@example.com"}`,
	} {
		got, ierr := decodeContact(3, json.RawMessage(raw))
		require.Nil(t, ierr, raw)
		var want contact.Input
		require.NoError(t, json.Unmarshal([]byte(raw), &want))
		require.Equal(t, &want, got, raw)
	}
	for raw, field := range map[string]string{
		`{"externalId": 5}`:                           "contact.externalId",
		`{"externalId": "u1", "email": ["x"]}`:        "contact.email",
		`{"externalId": "u1", "subscriptions": "no"}`: "contact.subscriptions",
	} {
		_, ierr := decodeContact(3, json.RawMessage(raw))
		require.NotNil(t, ierr, raw)
		require.Equal(t, 3, ierr.Index)
		require.Equal(t, field, ierr.Field, raw)
	}
}
