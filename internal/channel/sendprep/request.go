package sendprep

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
)

// Decode returns the request a sender's PrepareMany built for a step:
// value itself when it is one (the engine carries what PrepareMany set
// as PrepareItem.Value with the step's call in the process that prepared
// it: EffectRequest.Value, EffectResult.Value), else raw decoded (a
// request read back from the outbox). What it returns may be shared with
// the engine: callers must not modify it.
func Decode[T any](value any, raw json.RawMessage) (*T, error) {
	if v, ok := value.(*T); ok && v != nil {
		return v, nil
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("decode request: %w", err)
	}
	return v, nil
}

// MessageID returns the messageId of a step's request: read by idOf from
// value when it is the request (see Decode), else decoded from raw (that
// field only, not the rest of the request); uuid.Nil when raw holds none.
func MessageID[T any](value any, raw json.RawMessage, idOf func(*T) uuid.UUID) uuid.UUID {
	if v, ok := value.(*T); ok && v != nil {
		return idOf(v)
	}
	var m struct {
		MessageID uuid.UUID `json:"messageId"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return uuid.Nil
	}
	return m.MessageID
}
