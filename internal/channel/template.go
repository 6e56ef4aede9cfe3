package channel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/contact"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/tmpl"
)

// Limits of a template's fields (Liquid source).
const (
	MaxSubjectLen   = 1000
	MaxPreheaderLen = 1000
	MaxHTMLLen      = 256 << 10
	MaxTextLen      = 64 << 10
	MaxChatTextLen  = 4096
	MaxParameters   = 20
	MaxParameterLen = 1024
	MaxDescLen      = 1000
	// MaxEventBytes bounds a preview's sample event.
	MaxEventBytes = 64 << 10
)

// Content is a template's message, Liquid in every text field. Email uses
// Subject, Preheader, HTML and Text; WhatsApp Text, or an approved
// template (TemplateName, Language, Parameters); Messenger Text.
type Content struct {
	Subject      string   `json:"subject,omitempty"`
	Preheader    string   `json:"preheader,omitempty"`
	HTML         string   `json:"html,omitempty"`
	Text         string   `json:"text,omitempty"`
	TemplateName string   `json:"templateName,omitempty"`
	Language     string   `json:"language,omitempty"`
	Parameters   []string `json:"parameters,omitempty"`
}

// TemplateError is a template field that does not parse or render: the
// field ("content.html", "content.parameters[1]"), the line in it when
// known (1-based), and the reason.
type TemplateError struct {
	Field   string
	Line    int
	Message string
}

func (e *TemplateError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s, line %d: %s", e.Field, e.Line, e.Message)
	}
	return e.Field + ": " + e.Message
}

var (
	lineRe     = regexp.MustCompile(`line (\d+)`)
	waNameRe   = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	languageRe = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)
)

// templateError turns a tmpl error into a TemplateError for field.
func templateError(field string, err error) *TemplateError {
	msg := err.Error()
	line := 0
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	msg = strings.TrimPrefix(msg, tmpl.ErrParse.Error()+": ")
	msg = strings.TrimPrefix(msg, tmpl.ErrRender.Error()+": ")
	return &TemplateError{Field: field, Line: line, Message: msg}
}

// field is one Liquid field of a content, for checks and rendering.
type field struct {
	name string
	src  string
	max  int
	html bool
}

func (c *Content) fields(kind domain.ChannelKind) []field {
	switch kind {
	case domain.ChannelEmail:
		return []field{
			{"content.subject", c.Subject, MaxSubjectLen, false},
			{"content.preheader", c.Preheader, MaxPreheaderLen, false},
			{"content.html", c.HTML, MaxHTMLLen, true},
			{"content.text", c.Text, MaxTextLen, false},
		}
	case domain.ChannelWhatsApp:
		fs := []field{{"content.text", c.Text, MaxChatTextLen, false}}
		for i, p := range c.Parameters {
			fs = append(fs, field{fmt.Sprintf("content.parameters[%d]", i), p, MaxParameterLen, false})
		}
		return fs
	default:
		return []field{{"content.text", c.Text, MaxChatTextLen, false}}
	}
}

// CheckContent validates a template's content for a channel kind and
// parses every Liquid field; the first problem is an *InvalidError or a
// *TemplateError naming the field (and line).
func (s *Service) CheckContent(kind domain.ChannelKind, c *Content) error {
	switch kind {
	case domain.ChannelEmail:
		c.TemplateName, c.Language, c.Parameters = "", "", nil
		if strings.TrimSpace(c.Subject) == "" {
			return invalid("content.subject", "is required")
		}
		if strings.TrimSpace(c.HTML) == "" && strings.TrimSpace(c.Text) == "" {
			return invalid("content.html", "an email needs an HTML or a text body")
		}
		if strings.ContainsAny(c.Subject, "\r\n") {
			return invalid("content.subject", "must be one line")
		}
	case domain.ChannelWhatsApp:
		c.Subject, c.Preheader, c.HTML = "", "", ""
		if c.TemplateName == "" {
			if strings.TrimSpace(c.Text) == "" {
				return invalid("content.text", "is required (or an approved templateName)")
			}
			if len(c.Parameters) > 0 || c.Language != "" {
				return invalid("content.parameters", "apply to an approved template only (set templateName)")
			}
			break
		}
		if c.Text != "" {
			return invalid("content.text", "a WhatsApp template is either text or an approved templateName, not both")
		}
		if !waNameRe.MatchString(c.TemplateName) {
			return invalid("content.templateName", "must be an approved template's name: lowercase letters, digits and _")
		}
		if !languageRe.MatchString(c.Language) {
			return invalid("content.language", "is required with templateName: a language code such as en or en_US")
		}
		if len(c.Parameters) > MaxParameters {
			return invalid("content.parameters", "must be at most %d", MaxParameters)
		}
	case domain.ChannelMessenger:
		c.Subject, c.Preheader, c.HTML, c.TemplateName, c.Language, c.Parameters = "", "", "", "", "", nil
		if strings.TrimSpace(c.Text) == "" {
			return invalid("content.text", "is required")
		}
	default:
		return invalid("channel", "must be one of email, whatsapp, messenger")
	}
	for _, f := range c.fields(kind) {
		if len(f.src) > f.max {
			return invalid(f.name, "must be at most %d bytes", f.max)
		}
		if !utf8.ValidString(f.src) || strings.ContainsRune(f.src, 0) {
			return invalid(f.name, "must be valid UTF-8 text without NUL")
		}
		if f.src == "" {
			continue
		}
		if err := s.opts.Templates.Parse(f.src); err != nil {
			return templateError(f.name, err)
		}
	}
	return nil
}

// TemplateInput creates or replaces a template.
type TemplateInput struct {
	Channel     domain.ChannelKind
	Name        string
	Description string
	Content     Content
}

func (s *Service) checkTemplate(in *TemplateInput) (json.RawMessage, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return nil, invalid("name", "is required")
	}
	if err := checkText("name", in.Name, MaxNameLen); err != nil {
		return nil, err
	}
	if len(in.Description) > MaxDescLen || !utf8.ValidString(in.Description) || strings.ContainsRune(in.Description, 0) {
		return nil, invalid("description", "must be text of at most %d bytes", MaxDescLen)
	}
	if err := s.CheckContent(in.Channel, &in.Content); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(in.Content)
	if err != nil {
		return nil, fmt.Errorf("encode template content: %w", err)
	}
	return raw, nil
}

// TemplateCreateTx validates (Liquid included) and stores a template. A
// taken name is store.ErrConflict.
func (s *Service) TemplateCreateTx(ctx context.Context, tx store.Tx, tenantID uuid.UUID, in *TemplateInput, createdBy *uuid.UUID) (*domain.MessageTemplate, error) {
	if !in.Channel.Valid() {
		return nil, invalid("channel", "must be one of email, whatsapp, messenger")
	}
	raw, err := s.checkTemplate(in)
	if err != nil {
		return nil, err
	}
	return tx.MessageTemplateInsert(ctx, &store.MessageTemplateInsertParams{TenantID: tenantID, Channel: in.Channel,
		Name: in.Name, Description: in.Description, Content: raw, CreatedBy: createdBy})
}

// TemplateUpdateTx replaces a template's name, description and content
// (its channel stays; in.Channel is ignored).
func (s *Service) TemplateUpdateTx(ctx context.Context, tx store.Tx, tenantID, id uuid.UUID, in *TemplateInput) (*domain.MessageTemplate, error) {
	old, err := tx.MessageTemplateGetByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	in.Channel = old.Channel
	raw, err := s.checkTemplate(in)
	if err != nil {
		return nil, err
	}
	return tx.MessageTemplateUpdate(ctx, &store.MessageTemplateUpdateParams{TenantID: tenantID, ID: id,
		Name: in.Name, Description: in.Description, Content: raw})
}

// DecodeContent reads a stored template's content.
func DecodeContent(t *domain.MessageTemplate) (Content, error) {
	var c Content
	if err := json.Unmarshal(t.Content, &c); err != nil {
		return c, fmt.Errorf("decode content of template %s: %w", t.ID, err)
	}
	return c, nil
}

// Rendered is a template rendered for one recipient, as it would be sent.
type Rendered struct {
	Subject    string
	Preheader  string
	HTML       string
	Text       string
	Parameters []string
}

// Render renders content for data ("contact", "event", …): HTML with
// every output auto-escaped, the other fields as plain text. A field
// that fails is a *TemplateError.
func (s *Service) Render(ctx context.Context, kind domain.ChannelKind, c *Content, data map[string]any) (*Rendered, error) {
	out := &Rendered{}
	ctx = s.opts.Templates.WithBudget(ctx)
	for _, f := range c.fields(kind) {
		if f.src == "" {
			if strings.HasPrefix(f.name, "content.parameters[") {
				out.Parameters = append(out.Parameters, "")
			}
			continue
		}
		var v string
		var err error
		if f.html {
			v, err = s.opts.Templates.RenderHTML(ctx, f.src, data)
		} else {
			v, err = s.opts.Templates.Render(ctx, f.src, data)
		}
		if err != nil {
			var te *TemplateError
			if errors.As(err, &te) {
				return nil, te
			}
			return nil, templateError(f.name, err)
		}
		switch {
		case f.name == "content.subject":
			out.Subject = v
		case f.name == "content.preheader":
			out.Preheader = v
		case f.name == "content.html":
			out.HTML = v
		case f.name == "content.text":
			out.Text = v
		default:
			out.Parameters = append(out.Parameters, v)
		}
	}
	return out, nil
}

// PreviewInput renders a saved template (TemplateID) or an unsaved one
// (Channel and Content) for a contact of the tenant (optional) and a
// sample event (a JSON object, optional).
type PreviewInput struct {
	TemplateID *uuid.UUID
	Channel    domain.ChannelKind
	Content    *Content
	ContactID  *uuid.UUID
	Event      json.RawMessage
}

// Preview renders a template as it would be sent. The data it sees is
// {"contact": the contact's view, "event": the sample event, "trigger":
// the same event}. A contact of another tenant is store.ErrNotFound.
func (s *Service) Preview(ctx context.Context, tenantID uuid.UUID, in *PreviewInput) (*Rendered, error) {
	var event map[string]any
	if len(in.Event) > 0 && string(in.Event) != "null" {
		if len(in.Event) > MaxEventBytes {
			return nil, invalid("event", "must be at most %d bytes", MaxEventBytes)
		}
		if err := json.Unmarshal(in.Event, &event); err != nil {
			return nil, invalid("event", "must be a JSON object")
		}
	}
	kind := in.Channel
	var content Content
	if in.Content != nil {
		content = *in.Content
	}
	var c *domain.Contact
	err := s.st.Read(ctx, tenantID, func(tx store.Tx) error {
		if in.TemplateID != nil {
			t, err := tx.MessageTemplateGetByID(ctx, tenantID, *in.TemplateID)
			if err != nil {
				return err
			}
			kind = t.Channel
			if in.Content == nil {
				if content, err = DecodeContent(t); err != nil {
					return err
				}
			}
		}
		if in.ContactID != nil {
			var err error
			if c, err = tx.ContactGetByID(ctx, tenantID, *in.ContactID); err != nil {
				return fmt.Errorf("contact %s: %w", in.ContactID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !kind.Valid() {
		return nil, invalid("channel", "must be one of email, whatsapp, messenger")
	}
	if err := s.CheckContent(kind, &content); err != nil {
		return nil, err
	}
	data := map[string]any{"event": event, "trigger": event}
	if c != nil {
		data["contact"] = contact.View(c)
	} else {
		data["contact"] = map[string]any{}
	}
	return s.Render(ctx, kind, &content, data)
}
