package workflow

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Node type names of the first set.
const (
	TypeTriggerEvent    = "trigger.event"
	TypeTriggerSchedule = "trigger.schedule"
	TypeTriggerManual   = "trigger.manual"
	TypeTriggerWebhook  = "trigger.webhook"
	TypeTriggerSegment  = "trigger.segment"
	TypeEmailSend       = "email.send"
	TypeWhatsAppSend    = "whatsapp.send"
	TypeMessengerSend   = "messenger.send"
	TypeDelay           = "delay"
	TypeWaitForEvent    = "wait_for_event"
	TypeCondition       = "condition"
	TypeSplit           = "split"
	TypeSetAttribute    = "set_attribute"
	TypeHTTPRequest     = "http.request"
	TypeAIGenerate      = "ai.generate"
	TypeAIClassify      = "ai.classify"
	TypeAIExtract       = "ai.extract"
	TypeEnd             = "end"
)

// Handle names used by the built-in types.
const (
	HandleTrue    = "true"
	HandleFalse   = "false"
	HandleEvent   = "event"
	HandleTimeout = "timeout"
	HandleOther   = "other"
)

// Categories of the builder's palette.
const (
	CategoryTrigger = "trigger"
	CategoryMessage = "message"
	CategoryFlow    = "flow"
	CategoryData    = "data"
	CategoryAI      = "ai"
)

// outHandle returns the single default output.
func outHandle() []Handle { return []Handle{{ID: DefaultHandle, Label: "Next"}} }

// schema wraps the properties of a config object in a 2020-12 schema that
// rejects unknown properties.
func schema(title, props string, required ...string) json.RawMessage {
	req := "[]"
	if len(required) > 0 {
		req = `["` + strings.Join(required, `","`) + `"]`
	}
	s := fmt.Sprintf(`{"$schema":"https://json-schema.org/draft/2020-12/schema","title":%q,"type":"object","additionalProperties":false,"required":%s,"properties":{%s}}`,
		title, req, props)
	return json.RawMessage(s)
}

// Property snippets shared by several types.
const (
	propConnectionID = `"connectionId":{"type":"string","title":"Connection","description":"The channel connection to send through; the workspace default when left out."}`
	propMaxAttempts  = `"maxAttempts":{"type":"integer","title":"Attempts","description":"How many times to try before following the error handle (or failing the execution).","minimum":1,"maximum":20,"default":3}`
	propModel        = `"model":{"type":"string","title":"Model","description":"Model name at the AI provider; the workspace default when left out."}`
)

// builtinTypes returns the first set of node types. Triggers have no input;
// every other type has one.
func builtinTypes() []NodeType {
	types := builtinTypeList()
	for i := range types {
		if types[i].Category != CategoryTrigger {
			types[i].Inputs = 1
		}
	}
	return types
}

func builtinTypeList() []NodeType {
	return []NodeType{
		{
			Type: TypeTriggerEvent, Category: CategoryTrigger, Label: "Event",
			Description: "Starts an execution for the contact when an event with this name is tracked, optionally only when a CEL filter holds.",
			ConfigSchema: schema("Event trigger", `
				"event":{"type":"string","title":"Event name","description":"Name of the tracked event, e.g. user.signed_up.","minLength":1,"maxLength":200,"examples":["user.signed_up","cart.created"]},
				"filter":{"type":"string","title":"Filter","description":"CEL expression over trigger.event and contact; the execution starts only when it is true.","examples":["trigger.event.properties.total > 100"]},
				"reentry":{"type":"string","title":"Re-entry","description":"Whether a contact may enter again: once (once ever), one_at_a_time (again only after their previous execution of this workflow has ended) or always (every matching event starts an execution). Enforced by the database, also across nodes.","enum":["once","one_at_a_time","always"],"default":"one_at_a_time"}`,
				"event"),
			Outputs: outHandle(), Pure: true,
			Fields: []Field{{"/filter", FieldCondition}},
		},
		{
			Type: TypeTriggerSegment, Category: CategoryTrigger, Label: "Segment",
			Description: "Starts an execution for the contact when they enter or leave a segment (the segment.entered and segment.exited events), under the re-entry policy.",
			ConfigSchema: schema("Segment trigger", `
				"segmentId":{"type":"string","title":"Segment","description":"The segment whose membership changes start the journey.","pattern":"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$","errorMessage":"must be a segment ID"},
				"on":{"type":"string","title":"On","description":"entered: the contact joins the segment; exited: the contact leaves it.","enum":["entered","exited"],"default":"entered"},
				"reentry":{"type":"string","title":"Re-entry","description":"Whether a contact may enter again: once (once ever), one_at_a_time (again only after their previous execution of this workflow has ended) or always (every membership change starts an execution). Enforced by the database, also across nodes.","enum":["once","one_at_a_time","always"],"default":"one_at_a_time"}`,
				"segmentId"),
			Outputs: outHandle(), Pure: true,
		},
		{
			Type: TypeTriggerSchedule, Category: CategoryTrigger, Label: "Schedule",
			Description: "Starts an execution on a cron schedule in a timezone, correct across daylight-saving changes.",
			ConfigSchema: schema("Schedule trigger", `
				"cron":{"type":"string","title":"Cron expression","description":"Five fields (minute hour day-of-month month day-of-week), an optional leading seconds field, or @hourly, @daily, @weekly, @monthly, @yearly, @every 15m.","minLength":1,"examples":["0 9 * * 1-5","@daily"]},
				"timezone":{"type":"string","title":"Timezone","description":"IANA timezone the cron expression is read in.","default":"UTC","examples":["Europe/Berlin","America/New_York"]},
				"missedRuns":{"type":"string","title":"Missed runs","description":"What to do with runs missed while NextFlow was down: skip them or run each once.","enum":["skip","catch_up"],"default":"skip"}`,
				"cron"),
			Outputs: outHandle(), Pure: true,
			Fields: []Field{{"/cron", FieldCron}, {"/timezone", FieldTimezone}},
		},
		{
			Type: TypeTriggerManual, Category: CategoryTrigger, Label: "Manual",
			Description: "Starts an execution from the dashboard or the API; the request's input is trigger.input.",
			ConfigSchema: schema("Manual trigger", `
				"inputSchema":{"type":"object","title":"Input schema","description":"Optional JSON Schema the start request's input is shown with."}`),
			Outputs: outHandle(), Pure: true,
			Fields: []Field{{"/inputSchema", FieldJSONSchema}},
		},
		{
			Type: TypeTriggerWebhook, Category: CategoryTrigger, Label: "Webhook",
			Description: "Starts an execution when its webhook URL is called; the request body is trigger.input.",
			ConfigSchema: schema("Webhook trigger", `
				"respond":{"type":"string","title":"Respond","description":"Answer the caller at once, or when the execution completes (up to the timeout).","enum":["immediately","on_completion"],"default":"immediately"},
				"timeout":{"type":"string","title":"Timeout","description":"How long an on_completion caller waits, e.g. 10s.","default":"10s"},
				"auth":{"type":"string","title":"Authentication","description":"How callers prove they hold the credential: signature (X-NextFlow-Signature: sha256=<hex HMAC-SHA256 of the raw body>), bearer (Authorization: Bearer <credential value>), or none (anyone with the URL). Default: signature when a credential is set, else none.","enum":["none","signature","bearer"]},
				"secretCredential":{"type":"string","title":"Secret credential","description":"Name of the workspace credential holding the shared secret (Settings → Credentials); the value itself never appears in the workflow.","pattern":"^[A-Za-z0-9_]{1,64}$","errorMessage":"must be a credential name (letters, digits, _)","x-nextflow-credential":true}`),
			Outputs: outHandle(), Pure: true,
			Fields:      []Field{{"/timeout", FieldDuration}},
			CheckConfig: checkWebhookAuth,
		},
		{
			Type: TypeEmailSend, Category: CategoryMessage, Label: "Send email",
			Description: "Sends an email to the contact, from a saved template or inline subject and body (Liquid templates).",
			ConfigSchema: schema("Send email", propConnectionID+`,
				"templateId":{"type":"string","title":"Template","description":"A saved email template; inline fields below override it."},
				"from":{"type":"string","title":"From","description":"Sender address, e.g. \"Acme <hello@acme.com>\"; the connection's default when left out."},
				"replyTo":{"type":"string","title":"Reply-To"},
				"to":{"type":"string","title":"To","description":"Recipient; the contact's email when left out.","default":"{{ contact.email }}"},
				"subject":{"type":"string","title":"Subject","maxLength":998},
				"preheader":{"type":"string","title":"Preheader","description":"Preview text shown after the subject in inboxes."},
				"html":{"type":"string","title":"HTML body","description":"Values are HTML-escaped; use | raw to insert trusted HTML."},
				"text":{"type":"string","title":"Text body"},
				`+propMaxAttempts),
			Outputs: outHandle(), CanFail: true,
			Fields: []Field{
				{"/from", FieldTemplate}, {"/replyTo", FieldTemplate}, {"/to", FieldTemplate},
				{"/subject", FieldTemplate}, {"/preheader", FieldTemplate}, {"/html", FieldTemplate}, {"/text", FieldTemplate},
			},
			CheckConfig: func(c map[string]any) []ConfigIssue {
				if has(c, "templateId") {
					return nil
				}
				var out []ConfigIssue
				if !has(c, "subject") {
					out = append(out, ConfigIssue{"/subject", "subject is required without a templateId"})
				}
				if !has(c, "html") && !has(c, "text") {
					out = append(out, ConfigIssue{"", "an html or text body is required without a templateId"})
				}
				return out
			},
		},
		{
			Type: TypeWhatsAppSend, Category: CategoryMessage, Label: "Send WhatsApp",
			Description: "Sends a WhatsApp message to the contact: free text inside the 24-hour service window, or an approved template.",
			ConfigSchema: schema("Send WhatsApp message", propConnectionID+`,
				"to":{"type":"string","title":"To","description":"Phone number in E.164; the contact's phone when left out.","default":"{{ contact.phone }}"},
				"text":{"type":"string","title":"Text","maxLength":4096},
				"mediaUrl":{"type":"string","title":"Media URL","description":"Image or document to attach."},
				"template":{"type":"object","title":"Approved template","additionalProperties":false,"required":["name"],"properties":{
					"name":{"type":"string","title":"Template name","minLength":1},
					"language":{"type":"string","title":"Language","default":"en_US"},
					"parameters":{"type":"array","title":"Body parameters","description":"Values for {{1}}, {{2}}… in the template body.","items":{"type":"string"}}}},
				`+propMaxAttempts),
			Outputs: outHandle(), CanFail: true,
			Fields: []Field{{"/to", FieldTemplate}, {"/text", FieldTemplate}, {"/mediaUrl", FieldTemplate}, {"/template/parameters/*", FieldTemplate}},
			CheckConfig: func(c map[string]any) []ConfigIssue {
				if !has(c, "text") && !has(c, "template") && !has(c, "mediaUrl") {
					return []ConfigIssue{{"", "text, mediaUrl or an approved template is required"}}
				}
				return nil
			},
		},
		{
			Type: TypeMessengerSend, Category: CategoryMessage, Label: "Send Messenger",
			Description: "Sends a Facebook Messenger message to the contact's PSID.",
			ConfigSchema: schema("Send Messenger message", propConnectionID+`,
				"templateId":{"type":"string","title":"Template"},
				"text":{"type":"string","title":"Text","maxLength":2000},
				"tag":{"type":"string","title":"Message tag","description":"Needed outside the 24-hour window.","enum":["CONFIRMED_EVENT_UPDATE","POST_PURCHASE_UPDATE","ACCOUNT_UPDATE","HUMAN_AGENT"]},
				`+propMaxAttempts),
			Outputs: outHandle(), CanFail: true,
			Fields: []Field{{"/text", FieldTemplate}},
			CheckConfig: func(c map[string]any) []ConfigIssue {
				if !has(c, "text") && !has(c, "templateId") {
					return []ConfigIssue{{"/text", "text is required without a templateId"}}
				}
				return nil
			},
		},
		{
			Type: TypeDelay, Category: CategoryFlow, Label: "Delay",
			Description: "Waits for a duration, or until the next time of day in the contact's (or a fixed) timezone.",
			ConfigSchema: schema("Delay", `
				"duration":{"type":"string","title":"Duration","description":"How long to wait: 30s, 90m, 48h, 2d, 1w or combinations like 1d12h.","examples":["2d","48h","90m"]},
				"until":{"type":"string","title":"Until","description":"Wait until the next occurrence of this time of day (HH:MM, 24-hour).","pattern":"^([01][0-9]|2[0-3]):[0-5][0-9]$","errorMessage":"use a 24-hour time as HH:MM, e.g. 09:00","examples":["09:00"]},
				"timezone":{"type":"string","title":"Timezone","description":"Timezone of until: contact (the contact's own, falling back to UTC) or an IANA name.","default":"contact"}`),
			Outputs: outHandle(), Waits: true,
			Fields: []Field{{"/duration", FieldDuration}, {"/timezone", FieldTimezoneOrContact}},
			CheckConfig: func(c map[string]any) []ConfigIssue {
				switch d, u := has(c, "duration"), has(c, "until"); {
				case d && u:
					return []ConfigIssue{{"/until", "set either duration or until, not both"}}
				case !d && !u:
					return []ConfigIssue{{"/duration", "duration or until is required"}}
				}
				return nil
			},
		},
		{
			Type: TypeWaitForEvent, Category: CategoryFlow, Label: "Wait for event",
			Description: "Waits until the contact does something (an event arrives) or the timeout passes, then follows event or timeout.",
			ConfigSchema: schema("Wait for event", `
				"event":{"type":"string","title":"Event name","minLength":1,"maxLength":200,"examples":["order.completed"]},
				"timeout":{"type":"string","title":"Timeout","description":"How long to wait before following the timeout handle.","default":"1d"},
				"correlationKey":{"type":"string","title":"Correlation key","description":"Property that must match between the trigger event and the awaited event, e.g. cart_id.","examples":["cart_id"]}`,
				"event", "timeout"),
			Outputs: []Handle{{ID: HandleEvent, Label: "Event received"}, {ID: HandleTimeout, Label: "Timed out"}},
			Waits:   true,
			Fields:  []Field{{"/timeout", FieldDuration}},
		},
		{
			Type: TypeCondition, Category: CategoryFlow, Label: "Condition",
			Description: "Follows true or false depending on a CEL expression over the execution context.",
			ConfigSchema: schema("Condition", `
				"expression":{"type":"string","title":"Expression","description":"CEL over trigger, contact, steps, vars, execution and now.","minLength":1,"examples":["contact.attributes.activated == true","trigger.input.amount > 100"]}`,
				"expression"),
			Outputs: []Handle{{ID: HandleTrue, Label: "True"}, {ID: HandleFalse, Label: "False"}},
			Pure:    true,
			Fields:  []Field{{"/expression", FieldCondition}},
		},
		{
			Type: TypeSplit, Category: CategoryFlow, Label: "A/B split",
			Description: "Sends each execution down one variant, by weight, deterministically per execution.",
			ConfigSchema: schema("A/B split", `
				"variants":{"type":"array","title":"Variants","minItems":2,"maxItems":26,"items":{"type":"object","additionalProperties":false,"required":["name","weight"],"properties":{
					"name":{"type":"string","title":"Name","description":"Names the variant's output handle.","pattern":"^[A-Za-z0-9_-]{1,64}$","errorMessage":"use 1 to 64 letters, digits, _ or -"},
					"weight":{"type":"number","title":"Weight","minimum":0,"maximum":1000000,"default":50}}},
				"default":[{"name":"a","weight":50},{"name":"b","weight":50}]}`,
				"variants"),
			DynamicOutputsFrom: &DynamicHandles{Pointer: "/variants/*/name"},
			Pure:               true,
			CheckConfig: func(c map[string]any) []ConfigIssue {
				variants, _ := c["variants"].([]any)
				var out []ConfigIssue
				seen := map[string]bool{}
				total := 0.0
				for i, v := range variants {
					m, _ := v.(map[string]any)
					name, _ := m["name"].(string)
					if name == ErrorHandle {
						out = append(out, ConfigIssue{fmt.Sprintf("/variants/%d/name", i), `"error" is reserved`})
					}
					if seen[name] && name != "" {
						out = append(out, ConfigIssue{fmt.Sprintf("/variants/%d/name", i), fmt.Sprintf("variant %q appears twice", name)})
					}
					seen[name] = true
					total += number(m["weight"])
				}
				if len(variants) > 0 && total <= 0 {
					out = append(out, ConfigIssue{"/variants", "weights must add up to more than 0"})
				}
				return out
			},
		},
		{
			Type: TypeSetAttribute, Category: CategoryData, Label: "Set attribute",
			Description: "Sets contact attributes (or execution variables) to the values of CEL expressions.",
			ConfigSchema: schema("Set attribute", `
				"target":{"type":"string","title":"Target","description":"Write to the contact's attributes or to the execution's vars.","enum":["contact","vars"],"default":"contact"},
				"attributes":{"type":"object","title":"Attributes","description":"Name → CEL expression; write a string literal as '\"text\"'.","minProperties":1,"maxProperties":100,
					"propertyNames":{"pattern":"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$","errorMessage":"attribute names start with a letter or _ and use letters, digits, _, . or -"},
					"additionalProperties":{"type":"string","minLength":1}}`,
				"attributes"),
			Outputs: outHandle(), Pure: true,
			Fields: []Field{{"/attributes/*", FieldExpression}},
		},
		{
			Type: TypeHTTPRequest, Category: CategoryData, Label: "HTTP request",
			Description: "Calls an HTTP endpoint (SSRF-guarded); the response is the step's output. URL, headers and body are templates.",
			ConfigSchema: schema("HTTP request", `
				"method":{"type":"string","title":"Method","enum":["GET","POST","PUT","PATCH","DELETE","HEAD"],"default":"GET"},
				"url":{"type":"string","title":"URL","description":"http or https URL; private addresses are refused unless allowed by the operator.","minLength":1,"pattern":"^(https?://|\\{\\{)","errorMessage":"must start with http:// or https:// (or a {{ template }})","examples":["https://api.example.com/orders/{{ trigger.event.properties.order_id }}"]},
				"headers":{"type":"object","title":"Headers","description":"Secrets (Authorization, API keys…) go in a workspace credential, referenced as {{ secrets.NAME }}, e.g. \"Bearer {{ secrets.STRIPE_KEY }}\"; plain values of such headers are refused.","additionalProperties":{"type":"string"},"propertyNames":{"pattern":"^[!#$%&'*+.^_`+"`"+`|~0-9A-Za-z-]+$","errorMessage":"not a valid HTTP header name"}},
				"body":{"type":["string","object","array"],"title":"Body","description":"Request body: a string, or a JSON object or array sent as JSON; {{ }} placeholders are rendered in every string."},
				"timeout":{"type":"string","title":"Timeout","default":"10s"},
				"successStatus":{"type":"array","title":"Success status codes","description":"Responses with other codes fail the step; 2xx when left out.","items":{"type":"integer","minimum":100,"maximum":599}},
				`+propMaxAttempts,
				"url"),
			Outputs: outHandle(), CanFail: true,
			Fields: []Field{{"/url", FieldTemplate}, {"/headers/*", FieldTemplate}, {"/body", FieldTemplate}, {"/timeout", FieldDuration}},
		},
		{
			Type: TypeAIGenerate, Category: CategoryAI, Label: "AI generate",
			Description: "Generates text from a prompt (a template); the text is steps.<id>.output.text.",
			ConfigSchema: schema("AI generate", propModel+`,
				"system":{"type":"string","title":"System prompt"},
				"prompt":{"type":"string","title":"Prompt","minLength":1},
				"maxTokens":{"type":"integer","title":"Max tokens","minimum":1,"maximum":32768,"default":256},
				"temperature":{"type":"number","title":"Temperature","minimum":0,"maximum":2,"default":0.7},
				`+propMaxAttempts,
				"prompt"),
			Outputs: outHandle(), CanFail: true,
			Fields: []Field{{"/system", FieldTemplate}, {"/prompt", FieldTemplate}},
		},
		{
			Type: TypeAIClassify, Category: CategoryAI, Label: "AI classify",
			Description: "Classifies text into one of the labels and follows that label's handle, or other.",
			ConfigSchema: schema("AI classify", propModel+`,
				"input":{"type":"string","title":"Input","description":"Text to classify (a template).","minLength":1},
				"labels":{"type":"array","title":"Labels","minItems":1,"maxItems":50,"uniqueItems":true,"items":{"type":"string","pattern":"^[A-Za-z0-9_-]{1,64}$","errorMessage":"labels use 1 to 64 letters, digits, _ or -"}},
				"instructions":{"type":"string","title":"Instructions","description":"Extra guidance for the model, e.g. what each label means."},
				`+propMaxAttempts,
				"input", "labels"),
			DynamicOutputsFrom: &DynamicHandles{Pointer: "/labels/*", Extra: []Handle{{ID: HandleOther, Label: "Other"}}},
			CanFail:            true,
			Fields:             []Field{{"/input", FieldTemplate}, {"/instructions", FieldTemplate}},
			CheckConfig: func(c map[string]any) []ConfigIssue {
				labels, _ := c["labels"].([]any)
				var out []ConfigIssue
				for i, l := range labels {
					if s, _ := l.(string); s == HandleOther || s == ErrorHandle {
						out = append(out, ConfigIssue{fmt.Sprintf("/labels/%d", i), fmt.Sprintf("%q is reserved", s)})
					}
				}
				return out
			},
		},
		{
			Type: TypeAIExtract, Category: CategoryAI, Label: "AI extract",
			Description: "Extracts structured data matching a JSON Schema from text; the data is steps.<id>.output.data, and may be merged into the contact's attributes.",
			ConfigSchema: schema("AI extract", propModel+`,
				"input":{"type":"string","title":"Input","description":"Text to extract from (a template).","minLength":1},
				"schema":{"type":"object","title":"Output schema","description":"JSON Schema of the data to extract."},
				"instructions":{"type":"string","title":"Instructions"},
				"saveToContact":{"type":"boolean","title":"Save to contact","description":"Merge the extracted object's fields into the contact's attributes.","default":false},
				`+propMaxAttempts,
				"input", "schema"),
			Outputs: outHandle(), CanFail: true,
			Fields: []Field{{"/input", FieldTemplate}, {"/instructions", FieldTemplate}, {"/schema", FieldJSONSchema}},
		},
		{
			Type: TypeEnd, Category: CategoryFlow, Label: "End",
			Description: "Completes the execution.",
			ConfigSchema: schema("End", `
				"status":{"type":"string","title":"Status","description":"How the execution ends.","enum":["completed","failed"],"default":"completed"},
				"reason":{"type":"string","title":"Reason"}`),
			Pure: true,
		},
	}
}

// has reports whether a config has a non-empty value at key.
func has(c map[string]any, key string) bool {
	v, ok := c[key]
	if !ok || v == nil {
		return false
	}
	if s, ok := v.(string); ok {
		return strings.TrimSpace(s) != ""
	}
	return true
}

// number returns a decoded JSON number as float64 (0 if it is none).
func number(v any) float64 {
	switch n := v.(type) {
	case json.Number:
		f, _ := n.Float64()
		return f
	case float64:
		return n
	}
	return 0
}
