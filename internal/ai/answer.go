package ai

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrNoJSON is an answer that holds no JSON value.
var ErrNoJSON = errors.New("the answer is not JSON")

// DecodeJSONAnswer decodes a model's JSON answer into v. It accepts the
// JSON on its own, or fenced as a ```json code block, or surrounded by
// prose (the first object in the text), as models without structured
// output tend to answer.
func DecodeJSONAnswer(text string, v any) error {
	s := strings.TrimSpace(text)
	if strings.HasPrefix(s, "```") {
		s = strings.TrimPrefix(s, "```")
		s = strings.TrimPrefix(s, "json")
		if i := strings.LastIndex(s, "```"); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
	}
	if err := json.Unmarshal([]byte(s), v); err == nil {
		return nil
	}
	start, end := strings.Index(s, "{"), strings.LastIndex(s, "}")
	if start < 0 || end <= start {
		return ErrNoJSON
	}
	if err := json.Unmarshal([]byte(s[start:end+1]), v); err != nil {
		return fmt.Errorf("%w: %v", ErrNoJSON, err)
	}
	return nil
}
