package workflow

import (
	"encoding/json"
	"fmt"
)

// Typed configs of the built-in node types, matching their JSON Schemas.
// The engine decodes a validated node's config with DecodeConfig.

// TriggerEventConfig is the config of trigger.event.
type TriggerEventConfig struct {
	Event  string `json:"event"`
	Filter string `json:"filter,omitempty"`
	// Reentry is the re-entry policy: ReentryOnce, ReentryOneAtATime (the
	// default, also when empty) or ReentryAlways.
	Reentry string `json:"reentry,omitempty"`
}

// Re-entry policies of trigger.event: whether an event may start a journey
// for a contact who entered it before.
const (
	// ReentryOnce lets a contact enter the workflow once ever.
	ReentryOnce = "once"
	// ReentryOneAtATime lets a contact enter again once their previous
	// execution of the workflow has ended (completed, failed or cancelled).
	ReentryOneAtATime = "one_at_a_time"
	// ReentryAlways starts an execution for every matching event.
	ReentryAlways = "always"
)

// ReentryPolicy returns the configured re-entry policy, ReentryOneAtATime
// when none is set.
func (c TriggerEventConfig) ReentryPolicy() string {
	if c.Reentry == "" {
		return ReentryOneAtATime
	}
	return c.Reentry
}

// TriggerSegmentConfig is the config of trigger.segment.
type TriggerSegmentConfig struct {
	SegmentID string `json:"segmentId"`
	// On is SegmentEntered (the default, also when empty) or SegmentExited.
	On string `json:"on,omitempty"`
	// Reentry is the re-entry policy, as trigger.event's.
	Reentry string `json:"reentry,omitempty"`
}

// What a trigger.segment reacts to, and the events a membership change
// records on the contact (package segment writes them; the engine starts
// trigger.segment journeys from them).
const (
	SegmentEntered      = "entered"
	SegmentExited       = "exited"
	EventSegmentEntered = "segment.entered"
	EventSegmentExited  = "segment.exited"
)

// Event returns the name of the membership event the trigger starts on.
func (c TriggerSegmentConfig) Event() string {
	if c.On == SegmentExited {
		return EventSegmentExited
	}
	return EventSegmentEntered
}

// ReentryPolicy returns the configured re-entry policy, ReentryOneAtATime
// when none is set.
func (c TriggerSegmentConfig) ReentryPolicy() string {
	if c.Reentry == "" {
		return ReentryOneAtATime
	}
	return c.Reentry
}

// TriggerScheduleConfig is the config of trigger.schedule.
type TriggerScheduleConfig struct {
	Cron       string `json:"cron"`
	Timezone   string `json:"timezone,omitempty"`
	MissedRuns string `json:"missedRuns,omitempty"` // "skip" (default) or "catch_up"
}

// TriggerManualConfig is the config of trigger.manual.
type TriggerManualConfig struct {
	InputSchema json.RawMessage `json:"inputSchema,omitempty"`
}

// TriggerWebhookConfig is the config of trigger.webhook.
type TriggerWebhookConfig struct {
	Respond string `json:"respond,omitempty"` // "immediately" (default) or "on_completion"
	Timeout string `json:"timeout,omitempty"` // default "10s"
	Secret  string `json:"secret,omitempty"`
}

// EmailSendConfig is the config of email.send. String fields are templates.
type EmailSendConfig struct {
	ConnectionID string `json:"connectionId,omitempty"`
	TemplateID   string `json:"templateId,omitempty"`
	From         string `json:"from,omitempty"`
	ReplyTo      string `json:"replyTo,omitempty"`
	To           string `json:"to,omitempty"`
	Subject      string `json:"subject,omitempty"`
	Preheader    string `json:"preheader,omitempty"`
	HTML         string `json:"html,omitempty"`
	Text         string `json:"text,omitempty"`
	MaxAttempts  int    `json:"maxAttempts,omitempty"`
}

// WhatsAppTemplate is an approved WhatsApp template reference.
type WhatsAppTemplate struct {
	Name       string   `json:"name"`
	Language   string   `json:"language,omitempty"`
	Parameters []string `json:"parameters,omitempty"`
}

// WhatsAppSendConfig is the config of whatsapp.send.
type WhatsAppSendConfig struct {
	ConnectionID string            `json:"connectionId,omitempty"`
	To           string            `json:"to,omitempty"`
	Text         string            `json:"text,omitempty"`
	MediaURL     string            `json:"mediaUrl,omitempty"`
	Template     *WhatsAppTemplate `json:"template,omitempty"`
	MaxAttempts  int               `json:"maxAttempts,omitempty"`
}

// MessengerSendConfig is the config of messenger.send.
type MessengerSendConfig struct {
	ConnectionID string `json:"connectionId,omitempty"`
	TemplateID   string `json:"templateId,omitempty"`
	Text         string `json:"text,omitempty"`
	Tag          string `json:"tag,omitempty"`
	MaxAttempts  int    `json:"maxAttempts,omitempty"`
}

// DelayConfig is the config of delay: Duration, or Until ("HH:MM") in
// Timezone ("contact", the default, or an IANA name).
type DelayConfig struct {
	Duration string `json:"duration,omitempty"`
	Until    string `json:"until,omitempty"`
	Timezone string `json:"timezone,omitempty"`
}

// WaitForEventConfig is the config of wait_for_event.
type WaitForEventConfig struct {
	Event          string `json:"event"`
	Timeout        string `json:"timeout"`
	CorrelationKey string `json:"correlationKey,omitempty"`
}

// ConditionConfig is the config of condition.
type ConditionConfig struct {
	Expression string `json:"expression"`
}

// SplitVariant is one branch of a split.
type SplitVariant struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
}

// SplitConfig is the config of split.
type SplitConfig struct {
	Variants []SplitVariant `json:"variants"`
}

// SetAttributeConfig is the config of set_attribute: attribute name → CEL.
type SetAttributeConfig struct {
	Target     string            `json:"target,omitempty"` // "contact" (default) or "vars"
	Attributes map[string]string `json:"attributes"`
}

// HTTPRequestConfig is the config of http.request. URL, header values and
// body are templates.
type HTTPRequestConfig struct {
	Method        string            `json:"method,omitempty"` // default GET
	URL           string            `json:"url"`
	Headers       map[string]string `json:"headers,omitempty"`
	Body          string            `json:"body,omitempty"`
	Timeout       string            `json:"timeout,omitempty"` // default "10s"
	SuccessStatus []int             `json:"successStatus,omitempty"`
	MaxAttempts   int               `json:"maxAttempts,omitempty"`
}

// AIGenerateConfig is the config of ai.generate.
type AIGenerateConfig struct {
	Model       string   `json:"model,omitempty"`
	System      string   `json:"system,omitempty"`
	Prompt      string   `json:"prompt"`
	MaxTokens   int      `json:"maxTokens,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	MaxAttempts int      `json:"maxAttempts,omitempty"`
}

// AIClassifyConfig is the config of ai.classify.
type AIClassifyConfig struct {
	Model        string   `json:"model,omitempty"`
	Input        string   `json:"input"`
	Labels       []string `json:"labels"`
	Instructions string   `json:"instructions,omitempty"`
	MaxAttempts  int      `json:"maxAttempts,omitempty"`
}

// AIExtractConfig is the config of ai.extract.
type AIExtractConfig struct {
	Model        string          `json:"model,omitempty"`
	Input        string          `json:"input"`
	Schema       json.RawMessage `json:"schema"`
	Instructions string          `json:"instructions,omitempty"`
	// SaveToContact merges the extracted object into the contact's
	// attributes.
	SaveToContact bool `json:"saveToContact,omitempty"`
	MaxAttempts   int  `json:"maxAttempts,omitempty"`
}

// EndConfig is the config of end.
type EndConfig struct {
	Status string `json:"status,omitempty"` // "completed" (default) or "failed"
	Reason string `json:"reason,omitempty"`
}

// DecodeConfig decodes a node's config into a typed config such as
// *DelayConfig. An empty or null config decodes to the zero value.
func DecodeConfig[T any](n *Node) (*T, error) {
	var c T
	if len(n.Config) == 0 || string(n.Config) == "null" {
		return &c, nil
	}
	if err := json.Unmarshal(n.Config, &c); err != nil {
		return nil, fmt.Errorf("decode %s config of node %s: %w", n.Type, n.ID, err)
	}
	return &c, nil
}
