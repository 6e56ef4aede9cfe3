package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Contacts are read and written with hand-written SQL: the list's filters
// vary per call, and an upsert is a read, a merge in Go
// (store.ContactApply, shared with PostgreSQL) and a write; the single
// writer makes the read-then-write exclusive. User values are always
// parameters (attribute keys become JSON path parameters); only validated
// operators shape the statement.

const contactColumns = `id, tenant_id, external_id, email, phone, messenger_psid, name, timezone, locale,
    attributes, subscriptions, created_at, updated_at, last_seen_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanContact(row rowScanner) (*domain.Contact, error) {
	c := &domain.Contact{}
	var ext, email, phone, psid sql.NullString
	var attrs, subs string
	var lastSeen sql.NullTime
	if err := row.Scan(&c.ID, &c.TenantID, &ext, &email, &phone, &psid, &c.Name, &c.Timezone, &c.Locale,
		&attrs, &subs, &c.CreatedAt, &c.UpdatedAt, &lastSeen); err != nil {
		return nil, err
	}
	c.ExternalID, c.Email, c.Phone, c.MessengerPSID = strPtr(ext), strPtr(email), strPtr(phone), strPtr(psid)
	c.Attributes = []byte(attrs)
	if attrs == "" {
		c.Attributes = []byte(`{}`)
	}
	var err error
	if c.Subscriptions, err = store.ContactDecodeSubscriptions([]byte(subs)); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt, c.LastSeenAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC(), timePtr(lastSeen)
	return c, nil
}

func strPtr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	v := s.String
	return &v
}

func nullStr(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

func (t *tx) contactBy(ctx context.Context, tenantID uuid.UUID, column string, value any) (*domain.Contact, error) {
	c, err := scanContact(t.tx.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE tenant_id = ? AND `+column+` = ?`, tenantID, value))
	if err != nil {
		return nil, wrap(err, "get contact by %s", column)
	}
	return c, nil
}

// ContactGetByID returns a tenant's contact.
func (t *tx) ContactGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Contact, error) {
	return t.contactBy(ctx, tenantID, "id", id)
}

// ContactGetByExternalID returns the contact with the external ID.
func (t *tx) ContactGetByExternalID(ctx context.Context, tenantID uuid.UUID, externalID string) (*domain.Contact, error) {
	return t.contactBy(ctx, tenantID, "external_id", externalID)
}

// ContactGetByEmail returns the contact with the email.
func (t *tx) ContactGetByEmail(ctx context.Context, tenantID uuid.UUID, email string) (*domain.Contact, error) {
	return t.contactBy(ctx, tenantID, "email", email)
}

// contactOldestBy returns the oldest contact whose column (phone or
// messenger_psid, neither unique) equals value.
func (t *tx) contactOldestBy(ctx context.Context, tenantID uuid.UUID, column, value string) (*domain.Contact, error) {
	c, err := scanContact(t.tx.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE tenant_id = ? AND `+column+` = ?
ORDER BY created_at, id LIMIT 1`, tenantID, value))
	if err != nil {
		return nil, wrap(err, "get contact by %s", column)
	}
	return c, nil
}

// ContactGetByPhone returns the oldest contact with the phone.
func (t *tx) ContactGetByPhone(ctx context.Context, tenantID uuid.UUID, phone string) (*domain.Contact, error) {
	return t.contactOldestBy(ctx, tenantID, "phone", phone)
}

// ContactGetByMessengerPSID returns the oldest contact with the PSID.
func (t *tx) ContactGetByMessengerPSID(ctx context.Context, tenantID uuid.UUID, psid string) (*domain.Contact, error) {
	return t.contactOldestBy(ctx, tenantID, "messenger_psid", psid)
}

// contactMatch finds the contact an upsert updates, or nil.
func (t *tx) contactMatch(ctx context.Context, p *store.ContactUpsertParams) (*domain.Contact, error) {
	if p.ExternalID != nil && *p.ExternalID != "" {
		c, err := t.contactBy(ctx, p.TenantID, "external_id", *p.ExternalID)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	if p.Email != nil && *p.Email != "" {
		c, err := t.contactBy(ctx, p.TenantID, "email", *p.Email)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if p.ExternalID != nil && *p.ExternalID != "" && c.ExternalID != nil {
			return nil, fmt.Errorf("email belongs to contact %s with another external ID: %w", c.ID, store.ErrConflict)
		}
		return c, nil
	}
	return nil, nil
}

// ContactUpsert creates or updates a contact.
func (t *tx) ContactUpsert(ctx context.Context, p *store.ContactUpsertParams) (*domain.Contact, bool, error) {
	cur, err := t.contactMatch(ctx, p)
	if err != nil {
		return nil, false, err
	}
	c, err := store.ContactApply(cur, p, now())
	if err != nil {
		return nil, false, err
	}
	subs, err := store.ContactEncodeSubscriptions(c.Subscriptions)
	if err != nil {
		return nil, false, err
	}
	if cur == nil {
		_, err := t.tx.ExecContext(ctx, `INSERT INTO contacts (`+contactColumns+`)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.TenantID, nullStr(c.ExternalID), nullStr(c.Email), nullStr(c.Phone), nullStr(c.MessengerPSID),
			c.Name, c.Timezone, c.Locale, string(c.Attributes), string(subs), c.CreatedAt, c.UpdatedAt, nullTime(c.LastSeenAt))
		if err != nil {
			return nil, false, wrap(err, "insert contact")
		}
		out, err := t.ContactGetByID(ctx, c.TenantID, c.ID)
		return out, true, err
	}
	if store.ContactUnchanged(cur, c) {
		return cur, false, nil
	}
	out, err := t.contactWrite(ctx, c, subs)
	return out, false, err
}

func (t *tx) contactWrite(ctx context.Context, c *domain.Contact, subs []byte) (*domain.Contact, error) {
	_, err := t.tx.ExecContext(ctx, `UPDATE contacts SET external_id = ?, email = ?, phone = ?, messenger_psid = ?,
    name = ?, timezone = ?, locale = ?, attributes = ?, subscriptions = ?, updated_at = ?, last_seen_at = ?
WHERE tenant_id = ? AND id = ?`,
		nullStr(c.ExternalID), nullStr(c.Email), nullStr(c.Phone), nullStr(c.MessengerPSID), c.Name, c.Timezone, c.Locale,
		string(c.Attributes), string(subs), c.UpdatedAt, nullTime(c.LastSeenAt), c.TenantID, c.ID)
	if err != nil {
		return nil, wrap(err, "update contact %s", c.ID)
	}
	return t.ContactGetByID(ctx, c.TenantID, c.ID)
}

// ContactUpsertMany upserts several contacts in order.
func (t *tx) ContactUpsertMany(ctx context.Context, ps []*store.ContactUpsertParams) ([]store.ContactUpsertResult, error) {
	out := make([]store.ContactUpsertResult, 0, len(ps))
	for i, p := range ps {
		c, created, err := t.ContactUpsert(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("contact %d: %w", i, err)
		}
		out = append(out, store.ContactUpsertResult{Contact: c, Created: created})
	}
	return out, nil
}

// ContactAttributesMerge merges attributes into a contact.
func (t *tx) ContactAttributesMerge(ctx context.Context, p *store.ContactAttributesMergeParams) (*domain.Contact, error) {
	cur, err := t.ContactGetByID(ctx, p.TenantID, p.ID)
	if err != nil {
		return nil, err
	}
	attrs, err := store.MergeContactAttributes(cur.Attributes, p.Attributes, p.MaxAttributesBytes)
	if err != nil {
		return nil, fmt.Errorf("merge attributes of contact %s: %w", p.ID, err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE contacts SET attributes = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		string(attrs), now(), p.TenantID, p.ID); err != nil {
		return nil, wrap(err, "update attributes of contact %s", p.ID)
	}
	return t.ContactGetByID(ctx, p.TenantID, p.ID)
}

// jsonPath is the SQLite JSON path of a validated attribute key.
func jsonPath(parts ...string) string {
	var sb strings.Builder
	sb.WriteString("$")
	for _, p := range parts {
		sb.WriteString(`."` + p + `"`)
	}
	return sb.String()
}

// ContactList filters and pages a tenant's contacts, newest first.
func (t *tx) ContactList(ctx context.Context, p *store.ContactListParams) ([]domain.Contact, error) {
	var sb strings.Builder
	args := []any{p.TenantID}
	sb.WriteString(`SELECT ` + contactColumns + ` FROM contacts WHERE tenant_id = ?`)
	if p.Search != "" {
		pat := "%" + strings.ToLower(store.LikeEscape(p.Search)) + "%"
		sb.WriteString(` AND (lower(email) LIKE ? ESCAPE '\' OR lower(name) LIKE ? ESCAPE '\' OR lower(external_id) LIKE ? ESCAPE '\')`)
		args = append(args, pat, pat, pat)
	}
	for _, f := range p.Attributes {
		if err := f.Validate(); err != nil {
			return nil, err
		}
		path := jsonPath(store.AttributePath(f.Key)...)
		if f.Op == store.AttrExists {
			sb.WriteString(` AND json_type(attributes, ?) IS NOT NULL`)
			args = append(args, path)
			continue
		}
		op := map[store.AttributeOp]string{store.AttrEq: "=", store.AttrNe: "<>", store.AttrLt: "<", store.AttrLte: "<=", store.AttrGt: ">", store.AttrGte: ">="}[f.Op]
		switch v := f.Value.(type) {
		case string:
			sb.WriteString(` AND json_type(attributes, ?) = 'text' AND json_extract(attributes, ?) ` + op + ` ?`)
			args = append(args, path, path, v)
		case float64:
			sb.WriteString(` AND json_type(attributes, ?) IN ('integer', 'real') AND json_extract(attributes, ?) ` + op + ` ?`)
			args = append(args, path, path, v)
		case bool:
			want := "false"
			if v {
				want = "true"
			}
			sb.WriteString(` AND json_type(attributes, ?) IN ('true', 'false') AND json_type(attributes, ?) ` + op + ` ?`)
			args = append(args, path, path, want)
		}
	}
	for _, s := range p.Subscriptions {
		sb.WriteString(` AND coalesce(json_extract(subscriptions, ?), 'never') = ?`)
		args = append(args, jsonPath(s.Channel, "state"), s.State)
	}
	timeCond := func(col, op string, v *time.Time) {
		if v != nil {
			sb.WriteString(` AND ` + col + ` ` + op + ` ?`)
			args = append(args, utc(*v))
		}
	}
	timeCond("created_at", ">=", p.CreatedAfter)
	timeCond("created_at", "<", p.CreatedBefore)
	timeCond("last_seen_at", ">=", p.LastSeenAfter)
	timeCond("last_seen_at", "<", p.LastSeenBefore)
	if p.Segment != nil {
		sb.WriteString(` AND id IN (SELECT contact_id FROM segment_members WHERE tenant_id = ? AND segment_id = ?)`)
		args = append(args, p.TenantID, *p.Segment)
	}
	if p.After != nil {
		at := utc(p.After.CreatedAt)
		sb.WriteString(` AND (created_at < ? OR (created_at = ? AND id < ?))`)
		args = append(args, at, at, p.After.ID)
	}
	sb.WriteString(` ORDER BY created_at DESC, id DESC LIMIT ?`)
	args = append(args, store.ContactListLimit(p.Limit))
	rows, err := t.tx.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return nil, wrap(err, "list contacts of tenant %s", p.TenantID)
	}
	defer func() { _ = rows.Close() }()
	var out []domain.Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, wrap(err, "list contacts of tenant %s", p.TenantID)
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "list contacts of tenant %s", p.TenantID)
	}
	return out, nil
}

// ContactErase deletes a contact and anonymises its executions.
func (t *tx) ContactErase(ctx context.Context, tenantID, id uuid.UUID, at time.Time) (*store.ContactErasure, error) {
	at = utc(at)
	if _, err := t.ContactGetByID(ctx, tenantID, id); err != nil {
		return nil, fmt.Errorf("erase contact: %w", err)
	}
	res := &store.ContactErasure{}
	const execs = `SELECT id FROM workflow_executions WHERE tenant_id = ? AND contact_id = ?`
	r, err := t.tx.ExecContext(ctx, `UPDATE workflow_executions SET status = 'CANCELLED', token = token + 1, wake_at = NULL,
    finished_at = ?, updated_at = ?, error = 'contact erased'
WHERE tenant_id = ? AND contact_id = ? AND status IN ('PENDING', 'RUNNING', 'WAITING')`, at, at, tenantID, id)
	if err != nil {
		return nil, wrap(err, "cancel executions of contact %s", id)
	}
	n, _ := r.RowsAffected()
	res.Cancelled = int(n)
	steps := []struct {
		what, sql string
		args      []any
	}{
		{"cancel open steps", `UPDATE workflow_execution_steps SET status = 'CANCELLED', finished_at = ?
WHERE tenant_id = ? AND status IN ('RUNNING', 'WAITING') AND execution_id IN (` + execs + `)`, []any{at, tenantID, tenantID, id}},
		{"scrub steps", `UPDATE workflow_execution_steps SET input = NULL, output = NULL, error = ''
WHERE tenant_id = ? AND execution_id IN (` + execs + `)`, []any{tenantID, tenantID, id}},
		{"scrub outbox", `UPDATE outbox SET request = NULL, response = NULL, error = ''
WHERE tenant_id = ? AND execution_id IN (` + execs + `)`, []any{tenantID, tenantID, id}},
		{"delete waits", `DELETE FROM waits WHERE tenant_id = ? AND (contact_id = ? OR execution_id IN (` + execs + `))`, []any{tenantID, id, tenantID, id}},
	}
	for _, s := range steps {
		if _, err := t.tx.ExecContext(ctx, s.sql, s.args...); err != nil {
			return nil, wrap(err, "erase contact %s: %s", id, s.what)
		}
	}
	r, err = t.tx.ExecContext(ctx, `UPDATE workflow_executions SET contact_id = NULL, context = '{}', updated_at = ?
WHERE tenant_id = ? AND contact_id = ?`, at, tenantID, id)
	if err != nil {
		return nil, wrap(err, "anonymise executions of contact %s", id)
	}
	n, _ = r.RowsAffected()
	res.Executions = int(n)
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM contacts WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, wrap(err, "delete contact %s", id)
	}
	return res, nil
}

// contactTimelineSQL merges a contact's events, journeys entered (an
// execution created) and exited (finished), and steps, newest first. The
// tables store times as UTC text in more than one form ("…T…Z" and
// "… …+00:00"), which do not sort together as text, so every arm's time is
// rewritten by strftime into one form (millisecond precision) for comparing
// and ordering, the cursor's time by the same function; the stored time is
// what is returned.
const contactTimelineSQL = `SELECT kind, at, id, execution_id, workflow_id, name, node_id, status, data FROM (
SELECT kind, ord, at, strftime('%Y-%m-%d %H:%M:%f', at) AS nat, id, execution_id, workflow_id, name, node_id, status, data FROM (
    SELECT 'event' AS kind, 0 AS ord, ev.occurred_at AS at, ev.id AS id, NULL AS execution_id, NULL AS workflow_id,
        ev.name AS name, '' AS node_id, '' AS status, ev.properties AS data
    FROM events ev WHERE ev.tenant_id = ?1 AND ev.contact_id = ?2
    UNION ALL
    SELECT 'journey.entered', 1, min(e.created_at, coalesce(e.started_at, e.created_at)), e.id, e.id, e.workflow_id, coalesce(w.name, ''), '', e.status, NULL
    FROM workflow_executions e LEFT JOIN workflows w ON w.tenant_id = e.tenant_id AND w.id = e.workflow_id
    WHERE e.tenant_id = ?1 AND e.contact_id = ?2
    UNION ALL
    SELECT 'journey.exited', 3, e.finished_at, e.id, e.id, e.workflow_id, coalesce(w.name, ''), '', e.status, NULL
    FROM workflow_executions e LEFT JOIN workflows w ON w.tenant_id = e.tenant_id AND w.id = e.workflow_id
    WHERE e.tenant_id = ?1 AND e.contact_id = ?2 AND e.finished_at IS NOT NULL
    UNION ALL
    SELECT 'step', 2, s.started_at, s.id, s.execution_id, e.workflow_id, s.node_type, s.node_id, s.status, NULL
    FROM workflow_executions e JOIN workflow_execution_steps s ON s.tenant_id = e.tenant_id AND s.execution_id = e.id
    WHERE e.tenant_id = ?1 AND e.contact_id = ?2
) u) t
WHERE ?3 IS NULL OR nat < strftime('%Y-%m-%d %H:%M:%f', ?3)
    OR (nat = strftime('%Y-%m-%d %H:%M:%f', ?3) AND (ord < ?4 OR (ord = ?4 AND id < ?5)))
ORDER BY nat DESC, ord DESC, id DESC
LIMIT ?6`

// sqliteTimeLayouts are the forms a time read back without a declared
// column type may take.
var sqliteTimeLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999"}

func parseSQLiteTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case string:
		for _, l := range sqliteTimeLayouts {
			if t, err := time.Parse(l, x); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("time %q: unknown form", x)
	}
	return time.Time{}, fmt.Errorf("time of type %T", v)
}

// ContactTimeline lists what happened to a contact, newest first.
func (t *tx) ContactTimeline(ctx context.Context, p *store.ContactTimelineParams) ([]store.TimelineItem, error) {
	var at any
	var ord int
	var id any
	if p.Before != nil {
		at, ord, id = utc(p.Before.At), store.TimelineOrder(p.Before.Kind), p.Before.ID
	}
	rows, err := t.tx.QueryContext(ctx, contactTimelineSQL, p.TenantID, p.ContactID, at, ord, id, store.ContactListLimit(p.Limit))
	if err != nil {
		return nil, wrap(err, "timeline of contact %s", p.ContactID)
	}
	defer func() { _ = rows.Close() }()
	var out []store.TimelineItem
	for rows.Next() {
		var it store.TimelineItem
		var atRaw any
		var execID, wfID uuid.NullUUID
		var data sql.NullString
		if err := rows.Scan(&it.Kind, &atRaw, &it.ID, &execID, &wfID, &it.Name, &it.NodeID, &it.Status, &data); err != nil {
			return nil, wrap(err, "timeline of contact %s", p.ContactID)
		}
		if it.At, err = parseSQLiteTime(atRaw); err != nil {
			return nil, fmt.Errorf("timeline of contact %s: %w", p.ContactID, err)
		}
		if execID.Valid {
			v := execID.UUID
			it.ExecutionID = &v
		}
		if wfID.Valid {
			v := wfID.UUID
			it.WorkflowID = &v
		}
		if data.Valid {
			it.Data = []byte(data.String)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "timeline of contact %s", p.ContactID)
	}
	return out, nil
}
