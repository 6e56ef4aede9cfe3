package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/channel/messenger"
	"github.com/nextflow-dev/nextflow/internal/channel/whatsapp"
	"github.com/nextflow-dev/nextflow/internal/contact"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// SuppressionDTO is an address no message of a channel is sent to.
type SuppressionDTO struct {
	Channel string `json:"channel" enum:"email,whatsapp,messenger"`
	Address string `json:"address" doc:"As stored: an email address in lowercase, a WhatsApp number as digits without +, a Messenger PSID"`
	Reason  string `json:"reason" enum:"hard_bounce,complaint,unsubscribed,manual"`
	// SourceMessageID is the message whose bounce or unsubscribe link
	// suppressed the address.
	SourceMessageID *uuid.UUID `json:"sourceMessageId,omitempty" doc:"The message whose bounce or unsubscribe suppressed the address"`
	CreatedAt       time.Time  `json:"createdAt"`
	UpdatedAt       time.Time  `json:"updatedAt"`
}

func suppressionDTO(s *domain.Suppression) SuppressionDTO {
	return SuppressionDTO{Channel: string(s.Channel), Address: s.Address, Reason: string(s.Reason),
		SourceMessageID: s.SourceMessageID, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

// SuppressionListInput filters and pages the workspace's suppressions.
type SuppressionListInput struct {
	Channel string `query:"channel" enum:"email,whatsapp,messenger" doc:"Only suppressions of this channel"`
	Search  string `query:"search" maxLength:"320" doc:"Only addresses containing this text (case-insensitive; a phone number's spaces, dashes and + are ignored)"`
	Cursor  string `query:"cursor" doc:"nextCursor of the previous page"`
	Limit   int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
}

// SuppressionPageDTO is a page of suppressions by channel, then address.
type SuppressionPageDTO struct {
	Items      []SuppressionDTO `json:"items"`
	NextCursor string           `json:"nextCursor,omitempty"`
}

// SuppressionListOutput is a page of suppressions.
type SuppressionListOutput struct {
	Body SuppressionPageDTO
}

// SuppressionCreateDTO suppresses an address.
type SuppressionCreateDTO struct {
	Channel string `json:"channel" enum:"email,whatsapp,messenger"`
	Address string `json:"address" minLength:"1" maxLength:"320" doc:"An email address, a phone number in E.164 (+4915112345678) or a Messenger PSID"`
	Reason  string `json:"reason,omitempty" enum:"manual,complaint,hard_bounce,unsubscribed" default:"manual" doc:"Why: manual unless it records a complaint, bounce or unsubscribe received elsewhere"`
}

// SuppressionCreateInput carries a new suppression.
type SuppressionCreateInput struct {
	Body SuppressionCreateDTO
}

// SuppressionOutput is one suppression.
type SuppressionOutput struct {
	Body SuppressionDTO
}

// SuppressionDeleteInput names the address to lift, on one channel or on
// every channel it is suppressed on.
type SuppressionDeleteInput struct {
	Address string `path:"address" maxLength:"320" doc:"The address, as listed or as entered (an email address, +E.164 number or PSID)"`
	Channel string `query:"channel" enum:"email,whatsapp,messenger" doc:"Only on this channel; without it, on every channel the address is suppressed on"`
}

// suppressionChannels are the channels in the order they are tried.
var suppressionChannels = []domain.ChannelKind{domain.ChannelEmail, domain.ChannelWhatsApp, domain.ChannelMessenger}

// normalizeSuppressionAddress turns an address as entered into the form
// sends look suppressions up by: the email step's lowercase address, the
// WhatsApp step's digits, the Messenger step's PSID.
func normalizeSuppressionAddress(ch domain.ChannelKind, address string) (string, error) {
	switch ch {
	case domain.ChannelEmail:
		a, err := contact.NormalizeEmail(address)
		if err != nil {
			return "", fmt.Errorf("%q is not an email address", strings.TrimSpace(address))
		}
		return a, nil
	case domain.ChannelWhatsApp:
		return whatsapp.NormalizePhone(address)
	case domain.ChannelMessenger:
		a := strings.TrimSpace(address)
		if err := messenger.CheckPSID(a); err != nil {
			return "", err
		}
		return a, nil
	}
	return "", fmt.Errorf("unknown channel %q", ch)
}

// phoneLike is search text that reads as (part of) a phone number.
var phoneLike = regexp.MustCompile(`^\+?[0-9][0-9 ().-]*$`)

// suppressionSearch is search text in the form addresses are stored in.
func suppressionSearch(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if phoneLike.MatchString(s) {
		s = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
	return s
}

func suppressionCursor(s *domain.Suppression) string {
	return base64.RawURLEncoding.EncodeToString([]byte(string(s.Channel) + "\n" + s.Address))
}

func parseSuppressionCursor(c string) (domain.ChannelKind, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", "", err
	}
	ch, addr, ok := strings.Cut(string(raw), "\n")
	if !ok || !domain.ChannelKind(ch).Valid() {
		return "", "", errors.New("not a suppression cursor")
	}
	return domain.ChannelKind(ch), addr, nil
}

// auditSuppression records a suppression added or lifted by a member or
// an API key.
func auditSuppression(ctx context.Context, tx store.Tx, c *Caller, action string, s *domain.Suppression) error {
	actorType, actorID := "user", c.UserID
	if c.APIKeyID != nil {
		actorType, actorID = "api_key", c.APIKeyID
	}
	data, err := json.Marshal(map[string]string{"channel": string(s.Channel), "address": s.Address, "reason": string(s.Reason)})
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if err := tx.AuditInsert(ctx, &store.AuditInsertParams{TenantID: c.TenantID, ActorType: actorType, ActorID: actorID,
		Action: action, TargetType: "suppression", TargetID: string(s.Channel) + ":" + s.Address, Data: data, IP: c.IP}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// registerSuppressions adds the suppression list: anyone who reads
// contacts sees it, operators add to it, and lifting a suppression (which
// lets sends reach a bounced or complaining address again) takes
// channels:manage.
func (r *ChannelRoutes) registerSuppressions(api huma.API) {
	tags := []string{"suppressions"}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden}

	huma.Register(api, huma.Operation{
		OperationID: "list-suppressions", Method: http.MethodGet, Path: Prefix + "/suppressions",
		Summary: "List suppressed addresses by channel and address, optionally searching by address",
		Tags:    tags, Metadata: map[string]any{MetaPermission: auth.PermContactsRead},
		Errors: append(errs, http.StatusBadRequest, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *SuppressionListInput) (*SuppressionListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		p := store.SuppressionListParams{TenantID: c.TenantID, Channel: domain.ChannelKind(in.Channel),
			Search: suppressionSearch(in.Search), Limit: in.Limit}
		if in.Cursor != "" {
			if p.AfterChannel, p.AfterAddress, err = parseSuppressionCursor(in.Cursor); err != nil {
				return nil, huma.Error400BadRequest("cursor is not valid", &huma.ErrorDetail{Location: "query.cursor", Message: "invalid", Value: in.Cursor})
			}
		}
		var list []domain.Suppression
		if err := r.Store.Read(ctx, c.TenantID, func(tx store.Tx) error {
			list, err = tx.SuppressionList(ctx, &p)
			return err
		}); err != nil {
			return nil, Problem(ctx, r.Logger, "suppressions", err)
		}
		out := &SuppressionListOutput{Body: SuppressionPageDTO{Items: make([]SuppressionDTO, 0, len(list))}}
		for i := range list {
			out.Body.Items = append(out.Body.Items, suppressionDTO(&list[i]))
		}
		if len(list) > 0 && len(list) == in.Limit {
			out.Body.NextCursor = suppressionCursor(&list[len(list)-1])
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "create-suppression", Method: http.MethodPost, Path: Prefix + "/suppressions",
		Summary:     "Suppress an address on a channel",
		Description: "No message of the channel is sent to the address until the suppression is removed; sends to it are recorded as skipped. Recorded in the audit log.",
		Tags:        tags, DefaultStatus: http.StatusCreated, Metadata: map[string]any{MetaPermission: auth.PermContactsWrite},
		Errors: append(errs, http.StatusConflict, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *SuppressionCreateInput) (*SuppressionOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		ch := domain.ChannelKind(in.Body.Channel)
		address, err := normalizeSuppressionAddress(ch, in.Body.Address)
		if err != nil {
			return nil, huma.Error422UnprocessableEntity(err.Error(), &huma.ErrorDetail{Location: "body.address", Message: err.Error(), Value: in.Body.Address})
		}
		reason := domain.SuppressionReason(in.Body.Reason)
		if reason == "" {
			reason = domain.SuppressionManual
		}
		var s *domain.Suppression
		err = r.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			if old, err := tx.SuppressionGet(ctx, c.TenantID, ch, address); err == nil {
				return huma.Error409Conflict(fmt.Sprintf("%s is already suppressed on %s (%s)", address, ch, old.Reason),
					&huma.ErrorDetail{Location: "body.address", Message: "already suppressed", Value: address})
			} else if !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("read suppression: %w", err)
			}
			if s, err = tx.SuppressionUpsert(ctx, &store.SuppressionUpsertParams{TenantID: c.TenantID, Channel: ch,
				Address: address, Reason: reason}); err != nil {
				return err
			}
			return auditSuppression(ctx, tx, c, "suppression.added", s)
		})
		if err != nil {
			return nil, Problem(ctx, r.Logger, "suppression", err)
		}
		return &SuppressionOutput{Body: suppressionDTO(s)}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "delete-suppression", Method: http.MethodDelete, Path: Prefix + "/suppressions/{address}",
		Summary:     "Remove a suppression: the address gets messages again",
		Description: "Lifts the address on the channel given, or on every channel it is suppressed on. Recorded in the audit log.",
		Tags:        tags, DefaultStatus: http.StatusNoContent, Metadata: map[string]any{MetaPermission: auth.PermChannelsManage},
		Errors: append(errs, http.StatusNotFound, http.StatusUnprocessableEntity),
	}, func(ctx context.Context, in *SuppressionDeleteInput) (*NoContentOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		channels := suppressionChannels
		if in.Channel != "" {
			channels = []domain.ChannelKind{domain.ChannelKind(in.Channel)}
		}
		type target struct {
			ch      domain.ChannelKind
			address string
		}
		var targets []target
		for _, ch := range channels {
			a, err := normalizeSuppressionAddress(ch, in.Address)
			if err != nil {
				if in.Channel != "" {
					return nil, huma.Error422UnprocessableEntity(err.Error(), &huma.ErrorDetail{Location: "path.address", Message: err.Error(), Value: in.Address})
				}
				continue // not an address of this channel
			}
			targets = append(targets, target{ch, a})
		}
		err = r.Store.InTx(ctx, c.TenantID, func(tx store.Tx) error {
			lifted := 0
			for _, t := range targets {
				s, err := tx.SuppressionGet(ctx, c.TenantID, t.ch, t.address)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return fmt.Errorf("read suppression: %w", err)
				}
				if err := tx.SuppressionDelete(ctx, c.TenantID, t.ch, t.address); err != nil {
					return err
				}
				if err := auditSuppression(ctx, tx, c, "suppression.removed", s); err != nil {
					return err
				}
				lifted++
			}
			if lifted == 0 {
				return store.ErrNotFound
			}
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			return nil, huma.Error404NotFound("suppression not found")
		}
		if err != nil {
			return nil, Problem(ctx, r.Logger, "suppression", err)
		}
		return nil, nil
	})
}
