package api

import (
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// humanizeParamProblems is a huma transformer: it rewrites the parser's
// text for a path or query parameter that is not an ID ("invalid value:
// invalid UUID length: 4") as "not a valid ID", and, when every error of
// the problem is of that kind, puts "<name>: not a valid ID" in the
// detail, so a mistyped link reads as one plain sentence.
func humanizeParamProblems(_ huma.Context, _ string, v any) (any, error) {
	m, ok := v.(*huma.ErrorModel)
	if !ok || len(m.Errors) == 0 {
		return v, nil
	}
	var names []string
	for _, d := range m.Errors {
		if d == nil || !isParamLocation(d.Location) || !isIDParseError(d.Message) {
			continue
		}
		d.Message = "not a valid ID"
		names = append(names, d.Location[strings.IndexByte(d.Location, '.')+1:])
	}
	if len(names) == len(m.Errors) {
		m.Detail = strings.Join(names, ", ") + ": not a valid ID"
	}
	return v, nil
}

func isParamLocation(loc string) bool {
	return strings.HasPrefix(loc, "path.") || strings.HasPrefix(loc, "query.")
}

// isIDParseError tells a UUID parser's error (github.com/google/uuid's
// "invalid UUID length: 4", "invalid UUID format", "invalid urn prefix")
// as huma reports it.
func isIDParseError(msg string) bool {
	msg = strings.TrimPrefix(msg, "invalid value: ")
	return strings.HasPrefix(msg, "invalid UUID") || strings.HasPrefix(msg, "invalid urn prefix")
}
