package api

import (
	"net/http"
	"reflect"
	"strconv"

	"github.com/danielgtaylor/huma/v2"
)

// documentErrors declares, on every operation of api (and on those
// registered later), the two answers any of them can give outside its
// handler: 429 when a rate limit is reached (the webhook, API and public
// limits, and the failed-credential gate every credential passes) and 503
// when the database is out of reach (the credential look-up and every
// handler's store access). Both carry Retry-After.
func documentErrors(api huma.API) {
	oapi := api.OpenAPI()
	for _, item := range oapi.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Options, item.Head, item.Patch, item.Trace} {
			if op != nil {
				declareErrors(oapi, op)
			}
		}
	}
	oapi.OnAddOperation = append(oapi.OnAddOperation, declareErrors)
}

// declareErrors adds the 429 and 503 responses to op, keeping any it
// declares itself and adding only the missing headers.
func declareErrors(oapi *huma.OpenAPI, op *huma.Operation) {
	if op.Responses == nil {
		op.Responses = map[string]*huma.Response{}
	}
	errType := reflect.TypeOf(huma.NewError(0, ""))
	for errType.Kind() == reflect.Pointer {
		errType = errType.Elem()
	}
	schema := oapi.Components.Schemas.Schema(errType, true, "Error")
	intHeader := func(desc string) *huma.Param {
		return &huma.Param{Description: desc, Schema: &huma.Schema{Type: huma.TypeInteger}}
	}
	strHeader := func(desc string) *huma.Param {
		return &huma.Param{Description: desc, Schema: &huma.Schema{Type: huma.TypeString}}
	}
	for status, headers := range map[int]map[string]*huma.Param{
		http.StatusTooManyRequests: {
			"Retry-After":      intHeader("Seconds until the request may be retried."),
			"RateLimit-Policy": strHeader(`The limits that apply, e.g. "webhook";q=100;w=2 (draft-ietf-httpapi-ratelimit-headers).`),
			"RateLimit":        strHeader(`What is left of each, e.g. "webhook";r=0;t=1.`),
		},
		http.StatusServiceUnavailable: {
			"Retry-After": intHeader("Seconds until the request may be retried."),
		},
	} {
		code := strconv.Itoa(status)
		resp := op.Responses[code]
		if resp == nil {
			resp = &huma.Response{
				Description: http.StatusText(status),
				Content:     map[string]*huma.MediaType{"application/problem+json": {Schema: schema}},
			}
			op.Responses[code] = resp
		}
		if resp.Headers == nil {
			resp.Headers = map[string]*huma.Param{}
		}
		for name, h := range headers {
			if resp.Headers[name] == nil {
				resp.Headers[name] = h
			}
		}
	}
}
