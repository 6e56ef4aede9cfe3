package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/channel"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// TemplateContentDTO is a template's message in Liquid. Email: subject,
// preheader, html, text. WhatsApp: text, or an approved templateName with
// language and parameters. Messenger: text.
type TemplateContentDTO struct {
	Subject      string   `json:"subject,omitempty" maxLength:"1000"`
	Preheader    string   `json:"preheader,omitempty" maxLength:"1000"`
	HTML         string   `json:"html,omitempty" maxLength:"262144" doc:"Outputs are HTML-escaped"`
	Text         string   `json:"text,omitempty" maxLength:"65536"`
	TemplateName string   `json:"templateName,omitempty" maxLength:"512" doc:"whatsapp: an approved template's name"`
	Language     string   `json:"language,omitempty" maxLength:"6" doc:"whatsapp: the approved template's language (en_US)"`
	Parameters   []string `json:"parameters,omitempty" maxItems:"20" doc:"whatsapp: the approved template's body parameters, Liquid each"`
}

func (c TemplateContentDTO) content() channel.Content {
	return channel.Content{Subject: c.Subject, Preheader: c.Preheader, HTML: c.HTML, Text: c.Text,
		TemplateName: c.TemplateName, Language: c.Language, Parameters: c.Parameters}
}

func templateContentDTO(c channel.Content) TemplateContentDTO {
	return TemplateContentDTO{Subject: c.Subject, Preheader: c.Preheader, HTML: c.HTML, Text: c.Text,
		TemplateName: c.TemplateName, Language: c.Language, Parameters: c.Parameters}
}

// TemplateDTO is a message template.
type TemplateDTO struct {
	ID          uuid.UUID          `json:"id"`
	Channel     string             `json:"channel" enum:"email,whatsapp,messenger"`
	Name        string             `json:"name"`
	Description string             `json:"description"`
	Content     TemplateContentDTO `json:"content"`
	CreatedBy   *uuid.UUID         `json:"createdBy,omitempty"`
	CreatedAt   time.Time          `json:"createdAt"`
	UpdatedAt   time.Time          `json:"updatedAt"`
}

func templateDTO(t *domain.MessageTemplate) (TemplateDTO, error) {
	c, err := channel.DecodeContent(t)
	if err != nil {
		return TemplateDTO{}, err
	}
	return TemplateDTO{ID: t.ID, Channel: string(t.Channel), Name: t.Name, Description: t.Description,
		Content: templateContentDTO(c), CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}, nil
}

// TemplateCreateDTO is a new template.
type TemplateCreateDTO struct {
	Channel     string             `json:"channel" enum:"email,whatsapp,messenger"`
	Name        string             `json:"name" minLength:"1" maxLength:"100" doc:"Unique per channel in the workspace"`
	Description string             `json:"description,omitempty" maxLength:"1000"`
	Content     TemplateContentDTO `json:"content"`
}

// TemplateReplaceDTO replaces a template (its channel stays).
type TemplateReplaceDTO struct {
	Name        string             `json:"name" minLength:"1" maxLength:"100"`
	Description string             `json:"description,omitempty" maxLength:"1000"`
	Content     TemplateContentDTO `json:"content"`
}

// TemplateListInput filters templates by channel.
type TemplateListInput struct {
	Channel string `query:"channel" enum:"email,whatsapp,messenger"`
}

// TemplateCreateInput carries a new template.
type TemplateCreateInput struct {
	Body TemplateCreateDTO
}

// TemplateIDInput names a template.
type TemplateIDInput struct {
	ID uuid.UUID `path:"id"`
}

// TemplateReplaceInput names a template and carries its new version.
type TemplateReplaceInput struct {
	ID   uuid.UUID `path:"id"`
	Body TemplateReplaceDTO
}

// TemplateOutput is one template.
type TemplateOutput struct {
	Body TemplateDTO
}

// TemplateListOutput is the workspace's templates, by channel and name.
type TemplateListOutput struct {
	Body []TemplateDTO
}

// TemplatePreviewDTO renders an unsaved template.
type TemplatePreviewDTO struct {
	Channel   string             `json:"channel" enum:"email,whatsapp,messenger"`
	Content   TemplateContentDTO `json:"content"`
	ContactID *uuid.UUID         `json:"contactId,omitempty" doc:"The contact to render for (as contact.*)"`
	Event     json.RawMessage    `json:"event,omitempty" doc:"A sample event, a JSON object (as event.* and trigger.*)"`
}

// TemplateSavedPreviewDTO renders a saved template, or an edited content
// of it when content is given.
type TemplateSavedPreviewDTO struct {
	Content   *TemplateContentDTO `json:"content,omitempty"`
	ContactID *uuid.UUID          `json:"contactId,omitempty"`
	Event     json.RawMessage     `json:"event,omitempty"`
}

// TemplatePreviewInput carries an unsaved template to render.
type TemplatePreviewInput struct {
	Body TemplatePreviewDTO
}

// TemplateSavedPreviewInput names a template to render.
type TemplateSavedPreviewInput struct {
	ID   uuid.UUID `path:"id"`
	Body TemplateSavedPreviewDTO
}

// RenderedMessageDTO is a template rendered as it would be sent.
type RenderedMessageDTO struct {
	Subject    string   `json:"subject,omitempty"`
	Preheader  string   `json:"preheader,omitempty"`
	HTML       string   `json:"html,omitempty"`
	Text       string   `json:"text,omitempty"`
	Parameters []string `json:"parameters,omitempty"`
}

// TemplatePreviewOutput is a rendered template.
type TemplatePreviewOutput struct {
	Body RenderedMessageDTO
}

func (r *ChannelRoutes) registerTemplates(api huma.API) {
	tags := []string{"templates"}
	read := map[string]any{MetaPermission: auth.PermTemplatesRead}
	write := map[string]any{MetaPermission: auth.PermTemplatesWrite}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}

	huma.Register(api, huma.Operation{
		OperationID: "list-templates", Method: http.MethodGet, Path: Prefix + "/templates",
		Summary: "List the workspace's message templates", Tags: tags, Metadata: read, Errors: errs,
	}, func(ctx context.Context, in *TemplateListInput) (*TemplateListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var list []domain.MessageTemplate
		if err := r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			list, err = tx.MessageTemplateList(ctx, c.TenantID, domain.ChannelKind(in.Channel))
			return err
		}); err != nil {
			return nil, channelProblem(ctx, r.Logger, "templates", err)
		}
		out := make([]TemplateDTO, 0, len(list))
		for i := range list {
			d, err := templateDTO(&list[i])
			if err != nil {
				return nil, channelProblem(ctx, r.Logger, "templates", err)
			}
			out = append(out, d)
		}
		return &TemplateListOutput{Body: out}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-template", Method: http.MethodPost, Path: Prefix + "/templates",
		Summary:     "Create a message template",
		Description: "Every Liquid field must parse: a field that does not is a 422 naming it and the line.",
		Tags:        tags, DefaultStatus: http.StatusCreated, Metadata: write,
		Errors: append(errs, http.StatusConflict, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *TemplateCreateInput) (*TemplateOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		inp := &channel.TemplateInput{Channel: domain.ChannelKind(in.Body.Channel), Name: in.Body.Name,
			Description: in.Body.Description, Content: in.Body.Content.content()}
		var t *domain.MessageTemplate
		err = r.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			var err error
			t, err = r.Channels.TemplateCreateTx(ctx, tx, c.TenantID, inp, c.UserID)
			return err
		})
		if errors.Is(err, store.ErrConflict) {
			return nil, huma.Error409Conflict(fmt.Sprintf("a %s template named %q already exists", in.Body.Channel, in.Body.Name),
				&huma.ErrorDetail{Location: "body.name", Message: "taken", Value: in.Body.Name})
		}
		if err != nil {
			return nil, channelProblem(ctx, r.Logger, "template", err)
		}
		d, err := templateDTO(t)
		if err != nil {
			return nil, channelProblem(ctx, r.Logger, "template", err)
		}
		return &TemplateOutput{Body: d}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-template", Method: http.MethodGet, Path: Prefix + "/templates/{id}",
		Summary: "Get a message template", Tags: tags, Metadata: read, Errors: errs,
	}, func(ctx context.Context, in *TemplateIDInput) (*TemplateOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var t *domain.MessageTemplate
		if err := r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			t, err = tx.MessageTemplateGetByID(ctx, c.TenantID, in.ID)
			return err
		}); err != nil {
			return nil, channelProblem(ctx, r.Logger, "template", err)
		}
		d, err := templateDTO(t)
		if err != nil {
			return nil, channelProblem(ctx, r.Logger, "template", err)
		}
		return &TemplateOutput{Body: d}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "replace-template", Method: http.MethodPut, Path: Prefix + "/templates/{id}",
		Summary: "Replace a message template (its channel stays)", Tags: tags, Metadata: write,
		Errors: append(errs, http.StatusConflict, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *TemplateReplaceInput) (*TemplateOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		inp := &channel.TemplateInput{Name: in.Body.Name, Description: in.Body.Description, Content: in.Body.Content.content()}
		var t *domain.MessageTemplate
		err = r.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			var err error
			t, err = r.Channels.TemplateUpdateTx(ctx, tx, c.TenantID, in.ID, inp)
			return err
		})
		if errors.Is(err, store.ErrConflict) {
			return nil, huma.Error409Conflict("another template of the channel has this name",
				&huma.ErrorDetail{Location: "body.name", Message: "taken", Value: in.Body.Name})
		}
		if err != nil {
			return nil, channelProblem(ctx, r.Logger, "template", err)
		}
		d, err := templateDTO(t)
		if err != nil {
			return nil, channelProblem(ctx, r.Logger, "template", err)
		}
		return &TemplateOutput{Body: d}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-template", Method: http.MethodDelete, Path: Prefix + "/templates/{id}",
		Summary: "Delete a message template", Tags: tags, DefaultStatus: http.StatusNoContent, Metadata: write, Errors: errs,
	}, func(ctx context.Context, in *TemplateIDInput) (*NoContentOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		if err := r.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			return tx.MessageTemplateDelete(ctx, c.TenantID, in.ID)
		}); err != nil {
			return nil, channelProblem(ctx, r.Logger, "template", err)
		}
		return nil, nil
	})

	preview := func(ctx context.Context, pin *channel.PreviewInput) (*TemplatePreviewOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		out, err := r.Channels.Preview(ctx, c.TenantID, pin)
		if err != nil {
			return nil, channelProblem(ctx, r.Logger, "template or contact", err)
		}
		return &TemplatePreviewOutput{Body: RenderedMessageDTO{Subject: out.Subject, Preheader: out.Preheader,
			HTML: out.HTML, Text: out.Text, Parameters: out.Parameters}}, nil
	}

	huma.Register(api, huma.Operation{
		OperationID: "preview-template", Method: http.MethodPost, Path: Prefix + "/templates/preview",
		Summary:     "Render an unsaved template for a contact and a sample event",
		Description: "Returns the message as it would be sent (HTML outputs escaped). A field that does not parse or render is a 422 naming it and the line.",
		Tags:        tags, Metadata: read, Errors: append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *TemplatePreviewInput) (*TemplatePreviewOutput, error) {
		content := in.Body.Content.content()
		return preview(ctx, &channel.PreviewInput{Channel: domain.ChannelKind(in.Body.Channel), Content: &content,
			ContactID: in.Body.ContactID, Event: in.Body.Event})
	})

	huma.Register(api, huma.Operation{
		OperationID: "preview-saved-template", Method: http.MethodPost, Path: Prefix + "/templates/{id}/preview",
		Summary: "Render a saved template for a contact and a sample event", Tags: tags, Metadata: read,
		Errors: append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *TemplateSavedPreviewInput) (*TemplatePreviewOutput, error) {
		pin := &channel.PreviewInput{TemplateID: &in.ID, ContactID: in.Body.ContactID, Event: in.Body.Event}
		if in.Body.Content != nil {
			content := in.Body.Content.content()
			pin.Content = &content
		}
		return preview(ctx, pin)
	})
}
