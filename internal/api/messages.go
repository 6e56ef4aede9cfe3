package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// MessageDTO is one send and where it is.
type MessageDTO struct {
	ID                uuid.UUID  `json:"id"`
	Channel           string     `json:"channel" enum:"email,whatsapp,messenger"`
	ConnectionID      *uuid.UUID `json:"connectionId,omitempty"`
	ContactID         *uuid.UUID `json:"contactId,omitempty"`
	WorkflowID        *uuid.UUID `json:"workflowId,omitempty"`
	WorkflowVersion   int        `json:"workflowVersion,omitempty"`
	ExecutionID       *uuid.UUID `json:"executionId,omitempty"`
	NodeID            string     `json:"nodeId,omitempty"`
	TemplateID        *uuid.UUID `json:"templateId,omitempty"`
	Recipient         string     `json:"recipient" doc:"Blank once the contact was erased"`
	ProviderMessageID *string    `json:"providerMessageId,omitempty"`
	Status            string     `json:"status" enum:"queued,sent,delivered,read,failed,bounced,skipped"`
	ErrorCode         string     `json:"errorCode,omitempty"`
	ErrorText         string     `json:"errorText,omitempty"`
	QueuedAt          time.Time  `json:"queuedAt"`
	SentAt            *time.Time `json:"sentAt,omitempty"`
	DeliveredAt       *time.Time `json:"deliveredAt,omitempty"`
	ReadAt            *time.Time `json:"readAt,omitempty"`
	FailedAt          *time.Time `json:"failedAt,omitempty"`
	BouncedAt         *time.Time `json:"bouncedAt,omitempty"`
	SkippedAt         *time.Time `json:"skippedAt,omitempty"`
	UpdatedAt         time.Time  `json:"updatedAt"`
}

func messageDTO(m *domain.Message) MessageDTO {
	return MessageDTO{ID: m.ID, Channel: string(m.Channel), ConnectionID: m.ConnectionID, ContactID: m.ContactID,
		WorkflowID: m.WorkflowID, WorkflowVersion: m.WorkflowVersion, ExecutionID: m.ExecutionID, NodeID: m.NodeID,
		TemplateID: m.TemplateID, Recipient: m.Recipient, ProviderMessageID: m.ProviderMessageID, Status: string(m.Status),
		ErrorCode: m.ErrorCode, ErrorText: m.ErrorText, QueuedAt: m.QueuedAt, SentAt: m.SentAt, DeliveredAt: m.DeliveredAt,
		ReadAt: m.ReadAt, FailedAt: m.FailedAt, BouncedAt: m.BouncedAt, SkippedAt: m.SkippedAt, UpdatedAt: m.UpdatedAt}
}

// MessageListInput filters and pages the workspace's messages.
type MessageListInput struct {
	ContactID   string `query:"contactId" format:"uuid" doc:"Only messages to this contact"`
	WorkflowID  string `query:"workflowId" format:"uuid" doc:"Only messages of this workflow"`
	NodeID      string `query:"nodeId" maxLength:"200" doc:"Only messages of this node (with workflowId or executionId)"`
	ExecutionID string `query:"executionId" format:"uuid" doc:"Only messages of this execution"`
	Channel     string `query:"channel" enum:"email,whatsapp,messenger"`
	Status      string `query:"status" enum:"queued,sent,delivered,read,failed,bounced,skipped"`
	Cursor      string `query:"cursor" doc:"nextCursor of the previous page"`
	Limit       int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

// MessagePageDTO is a page of messages, newest first.
type MessagePageDTO struct {
	Items      []MessageDTO `json:"items"`
	NextCursor string       `json:"nextCursor,omitempty"`
}

// MessageListOutput is a page of messages.
type MessageListOutput struct {
	Body MessagePageDTO
}

// MessageIDInput names a message.
type MessageIDInput struct {
	ID uuid.UUID `path:"id"`
}

// MessageOutput is one message.
type MessageOutput struct {
	Body MessageDTO
}

// queryUUID parses an optional UUID query parameter.
func queryUUID(name, v string) (*uuid.UUID, error) {
	if v == "" {
		return nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return nil, huma.Error422UnprocessableEntity(name+" must be a UUID",
			&huma.ErrorDetail{Location: "query." + name, Message: "not a UUID", Value: v})
	}
	return &id, nil
}

func (r *ChannelRoutes) registerMessages(api huma.API) {
	tags := []string{"messages"}
	read := map[string]any{MetaPermission: auth.PermChannelsRead}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}

	huma.Register(api, huma.Operation{
		OperationID: "list-messages", Method: http.MethodGet, Path: Prefix + "/messages",
		Summary: "List messages sent, newest first, by contact, journey, node, execution, channel or status",
		Tags:    tags, Metadata: read, Errors: append(errs, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *MessageListInput) (*MessageListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		p := store.MessageListParams{TenantID: c.TenantID, NodeID: in.NodeID, Channel: domain.ChannelKind(in.Channel),
			Status: domain.MessageStatus(in.Status), Limit: in.Limit}
		if p.ContactID, err = queryUUID("contactId", in.ContactID); err != nil {
			return nil, err
		}
		if p.WorkflowID, err = queryUUID("workflowId", in.WorkflowID); err != nil {
			return nil, err
		}
		if p.ExecutionID, err = queryUUID("executionId", in.ExecutionID); err != nil {
			return nil, err
		}
		if in.NodeID != "" && p.WorkflowID == nil && p.ExecutionID == nil {
			// Node IDs repeat from one journey to the next.
			return nil, huma.Error422UnprocessableEntity("nodeId needs workflowId (or executionId): node IDs are per journey",
				&huma.ErrorDetail{Location: "query.nodeId", Message: "needs workflowId", Value: in.NodeID})
		}
		if in.Cursor != "" {
			id, err := uuid.Parse(in.Cursor)
			if err != nil {
				return nil, huma.Error400BadRequest("cursor is not valid", &huma.ErrorDetail{Location: "query.cursor", Message: "invalid", Value: in.Cursor})
			}
			p.Before = id
		}
		var list []domain.Message
		if err := r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			list, err = tx.MessageList(ctx, &p)
			return err
		}); err != nil {
			return nil, channelProblem(ctx, r.Logger, "messages", err)
		}
		out := &MessageListOutput{Body: MessagePageDTO{Items: make([]MessageDTO, 0, len(list))}}
		for i := range list {
			out.Body.Items = append(out.Body.Items, messageDTO(&list[i]))
		}
		if len(list) > 0 && len(list) == in.Limit {
			out.Body.NextCursor = list[len(list)-1].ID.String()
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-message", Method: http.MethodGet, Path: Prefix + "/messages/{id}",
		Summary: "Get a message", Tags: tags, Metadata: read, Errors: errs,
	}, func(ctx context.Context, in *MessageIDInput) (*MessageOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var m *domain.Message
		if err := r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			m, err = tx.MessageGetByID(ctx, c.TenantID, in.ID)
			return err
		}); err != nil {
			return nil, channelProblem(ctx, r.Logger, "message", err)
		}
		return &MessageOutput{Body: messageDTO(m)}, nil
	})
}
