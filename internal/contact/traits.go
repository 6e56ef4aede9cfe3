package contact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// traitFields are the Segment traits (and their common spellings) that
// map to contact fields; every other trait becomes an attribute.
var traitFields = map[string]string{
	"email":         "email",
	"phone":         "phone",
	"name":          "name",
	"firstName":     "firstName",
	"first_name":    "firstName",
	"lastName":      "lastName",
	"last_name":     "lastName",
	"timezone":      "timezone",
	"locale":        "locale",
	"messengerPsid": "messengerPsid",
}

// FromTraits maps a Segment identify's userId and traits (a JSON object,
// may be empty) to upsert parameters: email, phone, name (or firstName +
// lastName, which are also kept as attributes), timezone and locale become
// fields, every other trait an attribute. externalID may be empty when the
// traits carry an email. Null known traits are ignored; a null attribute
// deletes it. Invalid values are a *FieldError, so a caller can refuse
// the item; ErrNoIdentity when there is neither ID nor email.
func FromTraits(tenantID uuid.UUID, externalID string, traits json.RawMessage, o Options) (*store.ContactUpsertParams, error) {
	in := &Input{}
	if externalID != "" {
		in.ExternalID = &externalID
	}
	traits = bytes.TrimSpace(traits)
	if len(traits) > 0 && string(traits) != "null" {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(traits, &m); err != nil || m == nil {
			return nil, fieldErr("traits", "must be a JSON object")
		}
		attrs := map[string]json.RawMessage{}
		var first, last string
		for k, v := range m {
			field, known := traitFields[k]
			if !known {
				attrs[k] = v
				continue
			}
			if string(bytes.TrimSpace(v)) == "null" {
				continue
			}
			s, err := traitString(k, v)
			if err != nil {
				return nil, err
			}
			switch field {
			case "email":
				in.Email = &s
			case "phone":
				in.Phone = &s
			case "name":
				in.Name = &s
			case "firstName":
				first = s
				attrs["firstName"] = v
			case "lastName":
				last = s
				attrs["lastName"] = v
			case "timezone":
				in.Timezone = &s
			case "locale":
				in.Locale = &s
			case "messengerPsid":
				in.MessengerPSID = &s
			}
		}
		if in.Name == nil && (first != "" || last != "") {
			n := strings.TrimSpace(first + " " + last)
			in.Name = &n
		}
		if len(attrs) > 0 {
			raw, err := json.Marshal(attrs)
			if err != nil {
				return nil, fmt.Errorf("encode traits: %w", err)
			}
			in.Attributes = raw
		}
	}
	return Params(tenantID, in, o)
}

// traitString reads a trait that must be a string (a number is accepted
// for phone and PSID).
func traitString(name string, v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s, nil
	}
	if name == "phone" || name == "messengerPsid" {
		var n json.Number
		if err := json.Unmarshal(v, &n); err == nil {
			return n.String(), nil
		}
	}
	return "", fieldErr("traits."+name, "must be a string")
}
