package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// Contacts are read and written with hand-written SQL: the list's filters
// vary per call, and an upsert is a read, a merge in Go
// (store.ContactApply, shared with SQLite) and a write. User values are
// always parameters; only validated operators shape the statement.

const contactColumns = `id, tenant_id, external_id, email, phone, messenger_psid, name, timezone, locale,
    attributes, subscriptions, created_at, updated_at, last_seen_at`

func scanContact(row pgx.Row) (*domain.Contact, error) {
	c := &domain.Contact{}
	var attrs, subs []byte
	if err := row.Scan(&c.ID, &c.TenantID, &c.ExternalID, &c.Email, &c.Phone, &c.MessengerPSID, &c.Name,
		&c.Timezone, &c.Locale, &attrs, &subs, &c.CreatedAt, &c.UpdatedAt, &c.LastSeenAt); err != nil {
		return nil, err
	}
	c.Attributes = jsonOrEmpty(attrs)
	var err error
	if c.Subscriptions, err = store.ContactDecodeSubscriptions(subs); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt, c.LastSeenAt = utc(c.CreatedAt), utc(c.UpdatedAt), utcPtr(c.LastSeenAt)
	return c, nil
}

func (t *tx) contactBy(ctx context.Context, tenantID uuid.UUID, column, value string, lock bool) (*domain.Contact, error) {
	q := `SELECT ` + contactColumns + ` FROM contacts WHERE tenant_id = $1 AND ` + column + ` = $2`
	if lock {
		q += ` FOR UPDATE`
	}
	c, err := scanContact(t.tx.QueryRow(ctx, q, tenantID, value))
	if err != nil {
		return nil, translate(err, "get contact by %s", column)
	}
	return c, nil
}

// ContactGetByID returns a tenant's contact.
func (t *tx) ContactGetByID(ctx context.Context, tenantID, id uuid.UUID) (*domain.Contact, error) {
	c, err := scanContact(t.tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return nil, translate(err, "get contact %s", id)
	}
	return c, nil
}

// ContactGetByExternalID returns the contact with the external ID.
func (t *tx) ContactGetByExternalID(ctx context.Context, tenantID uuid.UUID, externalID string) (*domain.Contact, error) {
	return t.contactBy(ctx, tenantID, "external_id", externalID, false)
}

// ContactGetByEmail returns the contact with the email.
func (t *tx) ContactGetByEmail(ctx context.Context, tenantID uuid.UUID, email string) (*domain.Contact, error) {
	return t.contactBy(ctx, tenantID, "email", email, false)
}

// contactOldestBy returns the oldest contact whose column (phone or
// messenger_psid, neither unique) equals value.
func (t *tx) contactOldestBy(ctx context.Context, tenantID uuid.UUID, column, value string) (*domain.Contact, error) {
	q := `SELECT ` + contactColumns + ` FROM contacts WHERE tenant_id = $1 AND ` + column + ` = $2
ORDER BY created_at, id LIMIT 1`
	c, err := scanContact(t.tx.QueryRow(ctx, q, tenantID, value))
	if err != nil {
		return nil, translate(err, "get contact by %s", column)
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

// contactMatch finds the contact an upsert updates, locked, or nil.
func (t *tx) contactMatch(ctx context.Context, p *store.ContactUpsertParams) (*domain.Contact, error) {
	if p.ExternalID != nil && *p.ExternalID != "" {
		c, err := t.contactBy(ctx, p.TenantID, "external_id", *p.ExternalID, true)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	if p.Email != nil && *p.Email != "" {
		c, err := t.contactBy(ctx, p.TenantID, "email", *p.Email, true)
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
	for attempt := 0; ; attempt++ {
		c, created, err := t.contactUpsertOnce(ctx, p)
		if errors.Is(err, errContactRace) && attempt == 0 {
			continue // a concurrent insert won: update it instead
		}
		if errors.Is(err, errContactRace) {
			return nil, false, fmt.Errorf("upsert contact: %w", store.ErrConflict)
		}
		return c, created, err
	}
}

var errContactRace = errors.New("contact inserted concurrently")

func (t *tx) contactUpsertOnce(ctx context.Context, p *store.ContactUpsertParams) (*domain.Contact, bool, error) {
	cur, err := t.contactMatch(ctx, p)
	if err != nil {
		return nil, false, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	c, err := store.ContactApply(cur, p, now)
	if err != nil {
		return nil, false, err
	}
	subs, err := store.ContactEncodeSubscriptions(c.Subscriptions)
	if err != nil {
		return nil, false, err
	}
	if cur == nil {
		row := t.tx.QueryRow(ctx, `INSERT INTO contacts (`+contactColumns+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12, $12, $13)
ON CONFLICT DO NOTHING RETURNING `+contactColumns,
			c.ID, c.TenantID, c.ExternalID, c.Email, c.Phone, c.MessengerPSID, c.Name, c.Timezone, c.Locale,
			string(c.Attributes), string(subs), now, c.LastSeenAt)
		out, err := scanContact(row)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, false, errContactRace
		}
		if err != nil {
			return nil, false, translate(err, "insert contact")
		}
		return out, true, nil
	}
	if store.ContactUnchanged(cur, c) {
		return cur, false, nil // locked by contactMatch, not written
	}
	if err := t.contactEmailFree(ctx, c); err != nil {
		return nil, false, err
	}
	out, err := t.contactWrite(ctx, c, subs)
	return out, false, err
}

// contactEmailFree refuses an email another contact holds, before an
// UPDATE would violate the unique index (which aborts a PostgreSQL
// transaction).
func (t *tx) contactEmailFree(ctx context.Context, c *domain.Contact) error {
	if c.Email == nil {
		return nil
	}
	var other uuid.UUID
	err := t.tx.QueryRow(ctx, `SELECT id FROM contacts WHERE tenant_id = $1 AND email = $2 AND id <> $3`, c.TenantID, *c.Email, c.ID).Scan(&other)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return translate(err, "check contact email")
	}
	return fmt.Errorf("email belongs to contact %s: %w", other, store.ErrConflict)
}

func (t *tx) contactWrite(ctx context.Context, c *domain.Contact, subs []byte) (*domain.Contact, error) {
	row := t.tx.QueryRow(ctx, `UPDATE contacts SET external_id = $3, email = $4, phone = $5, messenger_psid = $6,
    name = $7, timezone = $8, locale = $9, attributes = $10::jsonb, subscriptions = $11::jsonb,
    updated_at = $12, last_seen_at = $13
WHERE tenant_id = $1 AND id = $2 RETURNING `+contactColumns,
		c.TenantID, c.ID, c.ExternalID, c.Email, c.Phone, c.MessengerPSID, c.Name, c.Timezone, c.Locale,
		string(c.Attributes), string(subs), c.UpdatedAt, c.LastSeenAt)
	out, err := scanContact(row)
	if err != nil {
		return nil, translate(err, "update contact %s", c.ID)
	}
	return out, nil
}

// contactCandidatesSQL loads and locks every contact of a tenant that an
// upsert batch may match (by external ID or by email) in one round trip.
// Rows are locked in id order, so two batches sharing contacts lock them
// in the same order instead of deadlocking. Hand-written like the other
// contact statements, so the rows scan through scanContact.
//
// Each key is one probe of its unique index (LATERAL … LIMIT 1 cannot be
// flattened) and each contact found is then one primary-key probe, in id
// order (a subquery with a row lock is not flattened either), whatever the
// statistics say: written as one OR of two = ANY filters, a plan made while
// the table looked small (a fresh database, or the generic plan of the
// prepared statement) read every contact of the tenant and tested each
// against both arrays (bench events: 50–85 ms a batch at 10,000 contacts,
// growing with the tenant), and so did an outer id = ANY(ARRAY(…)) of the
// probes' IDs (19 ms a batch). A contact whose key changed between the probe
// and the lock is returned anyway and simply not matched; one that took a
// key meanwhile is not returned, and the insert that collides with it
// replays the batch (errContactRace), as for a concurrent insert.
//
// The lock is FOR NO KEY UPDATE: the batch's UPDATE never changes a
// contact's key (tenant_id, id; the unique indexes on external_id and email
// are partial, so not keys), so it needs no more, and a concurrent upsert
// of the contact still waits for it; unlike FOR UPDATE it lets other
// transactions' KEY SHARE locks of the contact (an event insert, a journey
// entry's foreign key) through instead of making them wait for this
// transaction's commit.
const contactCandidatesSQL = `WITH want AS MATERIALIZED (
    SELECT DISTINCT k.id FROM (
        SELECT k.id FROM unnest($2::text[]) AS x(v)
            CROSS JOIN LATERAL (SELECT id FROM contacts WHERE tenant_id = $1 AND external_id = x.v LIMIT 1) AS k
        UNION ALL
        SELECT k.id FROM unnest($3::text[]) AS x(v)
            CROSS JOIN LATERAL (SELECT id FROM contacts WHERE tenant_id = $1 AND email = x.v LIMIT 1) AS k) AS k
    ORDER BY k.id
)
SELECT c.* FROM want
    CROSS JOIN LATERAL (SELECT ` + contactColumns + ` FROM contacts WHERE tenant_id = $1 AND id = want.id AND ` + customPlanOnly + `
    FOR NO KEY UPDATE) AS c`

// contactColumnsQualified is contactColumns of the table aliased c, for
// statements that join it with unnest(...) columns of the same names.
const contactColumnsQualified = `c.id, c.tenant_id, c.external_id, c.email, c.phone, c.messenger_psid, c.name, c.timezone,
    c.locale, c.attributes, c.subscriptions, c.created_at, c.updated_at, c.last_seen_at`

// contactUnnest zips the per-contact arrays $3-$13 of contactInsertManySQL
// and contactUpdateManySQL row by row. The nullable columns come as arrays
// without NULLs, which pgx encodes without reflection: the empty string
// stands for NULL in the text columns (none of them may hold it;
// store.ContactApply turns it into NULL) and the year 1 in last_seen_at
// (contactNoTime).
const contactUnnest = `(SELECT x.id, NULLIF(x.external_id, '') AS external_id, NULLIF(x.email, '') AS email,
    NULLIF(x.phone, '') AS phone, NULLIF(x.messenger_psid, '') AS messenger_psid, x.name, x.timezone, x.locale,
    x.attributes, x.subscriptions, NULLIF(x.last_seen_at, '0001-01-01 00:00:00+00'::timestamptz) AS last_seen_at
    FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
        $10::text[], $11::text[], $12::text[], $13::timestamptz[])
    AS x(id, external_id, email, phone, messenger_psid, name, timezone, locale, attributes, subscriptions, last_seen_at)) AS u`

// contactInsertManySQL inserts a batch's new contacts in one round trip
// ($2: created_at and updated_at). ON CONFLICT DO NOTHING keeps the
// transaction usable when a concurrent transaction inserted the same
// external ID or email: the missing rows tell ContactUpsertMany to retry.
// Hand-written: sqlc cannot generate a multi-row insert from arrays.
const contactInsertManySQL = `INSERT INTO contacts (` + contactColumns + `)
SELECT u.id, $1, u.external_id, u.email, u.phone, u.messenger_psid, u.name, u.timezone, u.locale,
    u.attributes::jsonb, u.subscriptions::jsonb, $2, $2, u.last_seen_at
FROM ` + contactUnnest + `
WHERE ` + customPlanOnly + `
ON CONFLICT DO NOTHING RETURNING ` + contactColumns

// contactUpdateManySQL writes the merged state of a batch's matched
// contacts in one round trip ($2: updated_at). Hand-written for the same
// reason as contactInsertManySQL. Each row is found by one primary-key
// probe and updated by its ctid (stable: contactCandidatesSQL locked it in
// this transaction), so the plan cannot turn into a hash of every contact
// of the tenant, which a join on id became under stale statistics.
const contactUpdateManySQL = `UPDATE contacts AS c SET external_id = u.external_id, email = u.email, phone = u.phone,
    messenger_psid = u.messenger_psid, name = u.name, timezone = u.timezone, locale = u.locale,
    attributes = u.attributes::jsonb, subscriptions = u.subscriptions::jsonb, updated_at = $2,
    last_seen_at = u.last_seen_at
FROM ` + contactUnnest + `
    CROSS JOIN LATERAL (SELECT x.ctid AS tid FROM contacts AS x WHERE x.tenant_id = $1 AND x.id = u.id LIMIT 1) AS k
WHERE c.ctid = k.tid AND c.tenant_id = $1 AND ` + customPlanOnly + `
RETURNING ` + contactColumnsQualified

// ContactUpsertMany upserts several contacts of one tenant in order. It
// loads every candidate contact of the batch in one query, applies the
// upserts in Go in order (the same matching and merge as ContactUpsert,
// so a later upsert sees what an earlier one created or changed), then
// writes the changed contacts with one UPDATE and the new ones with one
// INSERT. A concurrent insert of one of the new contacts rolls the writes
// back to a savepoint and replays the batch once, matching that contact.
func (t *tx) ContactUpsertMany(ctx context.Context, ps []*store.ContactUpsertParams) ([]store.ContactUpsertResult, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	if err := store.OneTenant(ps, func(p *store.ContactUpsertParams) uuid.UUID { return p.TenantID }); err != nil {
		return nil, fmt.Errorf("upsert contacts: %w", err)
	}
	for attempt := 0; ; attempt++ {
		out, err := t.contactUpsertManyOnce(ctx, ps)
		if errors.Is(err, errContactRace) && attempt == 0 {
			continue // a concurrent insert won: match it instead
		}
		if errors.Is(err, errContactRace) {
			return nil, fmt.Errorf("upsert contacts: %w", store.ErrConflict)
		}
		return out, err
	}
}

// contactBatch is the state of a batch upsert: the contacts as the
// upserts so far left them, and the keys they hold.
type contactBatch struct {
	state   map[uuid.UUID]*domain.Contact
	byExt   map[string]uuid.UUID
	byEmail map[string]uuid.UUID
	// loadedEmail is who held each email when the batch was loaded.
	loadedEmail map[string]uuid.UUID
	// loaded is each contact as stored when the batch was loaded.
	loaded  map[uuid.UUID]*domain.Contact
	created map[uuid.UUID]bool
	touched map[uuid.UUID]bool
	// order lists the contacts written, in order of their first upsert.
	order []uuid.UUID
}

func (b *contactBatch) hold(c *domain.Contact) {
	if c.ExternalID != nil {
		b.byExt[*c.ExternalID] = c.ID
	}
	if c.Email != nil {
		b.byEmail[*c.Email] = c.ID
	}
}

// match finds the contact p updates as ContactUpsert's contactMatch does.
func (b *contactBatch) match(p *store.ContactUpsertParams) (*domain.Contact, error) {
	hasExt := p.ExternalID != nil && *p.ExternalID != ""
	if hasExt {
		if id, ok := b.byExt[*p.ExternalID]; ok {
			return b.state[id], nil
		}
	}
	if p.Email != nil && *p.Email != "" {
		id, ok := b.byEmail[*p.Email]
		if !ok {
			return nil, nil
		}
		c := b.state[id]
		if hasExt && c.ExternalID != nil {
			return nil, fmt.Errorf("email belongs to contact %s with another external ID: %w", c.ID, store.ErrConflict)
		}
		return c, nil
	}
	return nil, nil
}

// apply upserts p into the batch and returns the contact it left.
func (b *contactBatch) apply(p *store.ContactUpsertParams, now time.Time) (*domain.Contact, bool, error) {
	cur, err := b.match(p)
	if err != nil {
		return nil, false, err
	}
	c, err := store.ContactApply(cur, p, now)
	if err != nil {
		return nil, false, err
	}
	if cur == nil {
		if _, dup := b.state[c.ID]; dup {
			return nil, false, fmt.Errorf("contact %s upserted twice as new: %w", c.ID, store.ErrConflict)
		}
		b.created[c.ID], b.touched[c.ID] = true, true
		b.order = append(b.order, c.ID)
		b.state[c.ID] = c
		b.hold(c)
		return c, true, nil
	}
	if c.Email != nil {
		if other, ok := b.byEmail[*c.Email]; ok && other != c.ID {
			return nil, false, fmt.Errorf("email belongs to contact %s: %w", other, store.ErrConflict)
		}
	}
	if !b.touched[c.ID] {
		b.touched[c.ID] = true
		b.order = append(b.order, c.ID)
	}
	if cur.Email != nil && (c.Email == nil || *c.Email != *cur.Email) && b.byEmail[*cur.Email] == c.ID {
		delete(b.byEmail, *cur.Email)
	}
	b.state[c.ID] = c
	b.hold(c)
	return c, false, nil
}

func (t *tx) contactUpsertManyOnce(ctx context.Context, ps []*store.ContactUpsertParams) ([]store.ContactUpsertResult, error) {
	tenantID := ps[0].TenantID
	var exts, emails []string
	for _, p := range ps {
		if p.ExternalID != nil && *p.ExternalID != "" {
			exts = append(exts, *p.ExternalID)
		}
		if p.Email != nil && *p.Email != "" {
			emails = append(emails, *p.Email)
		}
	}
	b := &contactBatch{state: map[uuid.UUID]*domain.Contact{}, touched: map[uuid.UUID]bool{},
		byExt: map[string]uuid.UUID{}, byEmail: map[string]uuid.UUID{}, loadedEmail: map[string]uuid.UUID{},
		loaded: map[uuid.UUID]*domain.Contact{}, created: map[uuid.UUID]bool{}}
	if len(exts)+len(emails) > 0 {
		if err := t.contactCandidates(ctx, tenantID, exts, emails, b); err != nil {
			return nil, err
		}
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	out := make([]store.ContactUpsertResult, len(ps))
	for i, p := range ps {
		c, created, err := b.apply(p, now)
		if err != nil {
			return nil, fmt.Errorf("contact %d: %w", i, err)
		}
		out[i] = store.ContactUpsertResult{Contact: c, Created: created}
	}
	var ins, upd, same []*domain.Contact
	for _, id := range b.order {
		c := b.state[id]
		if b.created[id] {
			ins = append(ins, c)
			continue
		}
		if cur := b.loaded[id]; store.ContactUnchanged(cur, c) {
			same = append(same, cur) // locked by contactCandidates, not written
			continue
		}
		if c.Email != nil {
			if holder, ok := b.loadedEmail[*c.Email]; ok && holder != id {
				return t.contactUpsertEach(ctx, ps)
			}
		}
		upd = append(upd, c)
	}
	// New contacts go in in key order, so concurrent batches wait on each
	// other's unique keys in the same order instead of deadlocking.
	slices.SortStableFunc(ins, func(a, b *domain.Contact) int {
		return cmp.Or(cmp.Compare(contactKeyOf(a.ExternalID), contactKeyOf(b.ExternalID)), cmp.Compare(contactKeyOf(a.Email), contactKeyOf(b.Email)))
	})
	written := make(map[uuid.UUID]*domain.Contact, len(b.order))
	if err := t.contactWriteMany(ctx, ins, upd, now, written); err != nil {
		return nil, err
	}
	for _, c := range same {
		written[c.ID] = c
	}
	// The last result of each contact is the row as stored.
	for i := len(out) - 1; i >= 0; i-- {
		id := out[i].Contact.ID
		if w, ok := written[id]; ok {
			out[i].Contact = w
			delete(written, id)
		}
	}
	return out, nil
}

// contactCandidates loads and locks the contacts a batch may match.
func (t *tx) contactCandidates(ctx context.Context, tenantID uuid.UUID, exts, emails []string, b *contactBatch) error {
	rows, err := t.tx.Query(ctx, contactCandidatesSQL, tenantID, exts, emails)
	if err != nil {
		return translate(err, "load %d contacts", len(exts)+len(emails))
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return translate(err, "load contacts")
		}
		b.state[c.ID], b.loaded[c.ID] = c, c
		b.hold(c)
		if c.Email != nil {
			b.loadedEmail[*c.Email] = c.ID
		}
	}
	if err := rows.Err(); err != nil {
		return translate(err, "load contacts")
	}
	return nil
}

// contactWriteMany updates upd and inserts ins, and puts the stored rows
// into written. With inserts it writes inside a savepoint, rolled back
// (errContactRace) when a concurrent transaction inserted one of them.
func (t *tx) contactWriteMany(ctx context.Context, ins, upd []*domain.Contact, now time.Time, written map[uuid.UUID]*domain.Contact) error {
	if len(ins) == 0 {
		return contactExecMany(ctx, t.tx, contactUpdateManySQL, upd, now, written, "update")
	}
	sp, err := t.tx.Begin(ctx)
	if err != nil {
		return translate(err, "savepoint before upserting contacts")
	}
	defer func() { _ = sp.Rollback(ctx) }()
	if err := contactExecMany(ctx, sp, contactUpdateManySQL, upd, now, written, "update"); err != nil {
		return err
	}
	if err := contactExecMany(ctx, sp, contactInsertManySQL, ins, now, written, "insert"); err != nil {
		return err
	}
	if len(written) != len(ins)+len(upd) {
		if err := sp.Rollback(ctx); err != nil {
			return translate(err, "roll back contacts inserted concurrently")
		}
		return errContactRace
	}
	if err := sp.Commit(ctx); err != nil {
		return translate(err, "release savepoint after upserting contacts")
	}
	return nil
}

// contactExecMany runs contactInsertManySQL or contactUpdateManySQL for cs.
func contactExecMany(ctx context.Context, q pgx.Tx, sql string, cs []*domain.Contact, now time.Time, written map[uuid.UUID]*domain.Contact, what string) error {
	n := len(cs)
	if n == 0 {
		return nil
	}
	ids := make([]uuid.UUID, n)
	exts, emails, phones, psids := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	names, tzs, locales, attrs, subs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	seen := make([]time.Time, n)
	for i, c := range cs {
		s, err := store.ContactEncodeSubscriptions(c.Subscriptions)
		if err != nil {
			return err
		}
		ids[i], exts[i], emails[i], phones[i], psids[i] = c.ID, orEmpty(c.ExternalID), orEmpty(c.Email), orEmpty(c.Phone), orEmpty(c.MessengerPSID)
		names[i], tzs[i], locales[i], attrs[i], subs[i] = c.Name, c.Timezone, c.Locale, string(jsonOrEmpty(c.Attributes)), string(s)
		if c.LastSeenAt != nil {
			seen[i] = *c.LastSeenAt
		} else {
			seen[i] = contactNoTime
		}
	}
	// Planned on each call (customPlanOnly), with the arrays' real length
	// and the table's current size.
	rows, err := q.Query(ctx, sql, cs[0].TenantID, now, ids, exts, emails, phones, psids,
		names, tzs, locales, attrs, subs, seen)
	if err != nil {
		return translate(err, "%s %d contacts", what, n)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return translate(err, "%s %d contacts", what, n)
		}
		written[c.ID] = c
	}
	if err := rows.Err(); err != nil {
		return translate(err, "%s %d contacts", what, n)
	}
	return nil
}

// contactNoTime stands for a NULL last_seen_at in contactUnnest's arrays.
var contactNoTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)

// orEmpty is *s, or "" for nil (NULL in contactUnnest's arrays).
func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// contactUpsertEach upserts ps one by one, for a batch that moves an email
// from one stored contact to another: one UPDATE cannot (the unique index
// is checked row by row, in no set order).
func (t *tx) contactUpsertEach(ctx context.Context, ps []*store.ContactUpsertParams) ([]store.ContactUpsertResult, error) {
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
	cur, err := scanContact(t.tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, p.TenantID, p.ID))
	if err != nil {
		return nil, translate(err, "get contact %s", p.ID)
	}
	attrs, err := store.MergeContactAttributes(cur.Attributes, p.Attributes, p.MaxAttributesBytes)
	if err != nil {
		return nil, fmt.Errorf("merge attributes of contact %s: %w", p.ID, err)
	}
	c, err := scanContact(t.tx.QueryRow(ctx, `UPDATE contacts SET attributes = $3::jsonb, updated_at = $4
WHERE tenant_id = $1 AND id = $2 RETURNING `+contactColumns, p.TenantID, p.ID, string(attrs), time.Now().UTC()))
	if err != nil {
		return nil, translate(err, "update attributes of contact %s", p.ID)
	}
	return c, nil
}

// ContactList filters and pages a tenant's contacts, newest first.
func (t *tx) ContactList(ctx context.Context, p *store.ContactListParams) ([]domain.Contact, error) {
	var sb strings.Builder
	args := []any{p.TenantID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	sb.WriteString(`SELECT ` + contactColumns + ` FROM contacts WHERE tenant_id = $1`)
	if p.Search != "" {
		pat := arg("%" + store.LikeEscape(p.Search) + "%")
		sb.WriteString(` AND (email ILIKE ` + pat + ` OR name ILIKE ` + pat + ` OR external_id ILIKE ` + pat + `)`)
	}
	for _, f := range p.Attributes {
		if err := f.Validate(); err != nil {
			return nil, err
		}
		path := arg(store.AttributePath(f.Key))
		x := `(attributes #> ` + path + `::text[])`
		if f.Op == store.AttrExists {
			sb.WriteString(` AND ` + x + ` IS NOT NULL`)
			continue
		}
		op := map[store.AttributeOp]string{store.AttrEq: "=", store.AttrNe: "<>", store.AttrLt: "<", store.AttrLte: "<=", store.AttrGt: ">", store.AttrGte: ">="}[f.Op]
		switch v := f.Value.(type) {
		case string:
			sb.WriteString(` AND jsonb_typeof(` + x + `) = 'string' AND (attributes #>> ` + path + `::text[]) COLLATE "C" ` + op + ` ` + arg(v))
		case float64:
			sb.WriteString(` AND jsonb_typeof(` + x + `) = 'number' AND ` + x + ` ` + op + ` to_jsonb(` + arg(v) + `::float8)`)
		case bool:
			sb.WriteString(` AND jsonb_typeof(` + x + `) = 'boolean' AND ` + x + ` ` + op + ` to_jsonb(` + arg(v) + `::boolean)`)
		}
	}
	for _, s := range p.Subscriptions {
		sb.WriteString(` AND coalesce(subscriptions #>> ` + arg([]string{s.Channel, "state"}) + `::text[], 'never') = ` + arg(s.State))
	}
	timeCond := func(col, op string, v *time.Time) {
		if v != nil {
			sb.WriteString(` AND ` + col + ` ` + op + ` ` + arg(v.UTC()))
		}
	}
	timeCond("created_at", ">=", p.CreatedAfter)
	timeCond("created_at", "<", p.CreatedBefore)
	timeCond("last_seen_at", ">=", p.LastSeenAfter)
	timeCond("last_seen_at", "<", p.LastSeenBefore)
	if p.Segment != nil {
		sb.WriteString(` AND id IN (SELECT contact_id FROM segment_members WHERE tenant_id = $1 AND segment_id = ` + arg(*p.Segment) + `)`)
	}
	if p.After != nil {
		at, id := arg(p.After.CreatedAt.UTC()), arg(p.After.ID)
		sb.WriteString(` AND (created_at, id) < (` + at + `::timestamptz, ` + id + `::uuid)`)
	}
	sb.WriteString(` ORDER BY created_at DESC, id DESC LIMIT ` + arg(store.ContactListLimit(p.Limit)))
	rows, err := t.tx.Query(ctx, sb.String(), args...)
	if err != nil {
		return nil, translate(err, "list contacts of tenant %s", p.TenantID)
	}
	defer rows.Close()
	var out []domain.Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, translate(err, "list contacts of tenant %s", p.TenantID)
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list contacts of tenant %s", p.TenantID)
	}
	return out, nil
}

// ContactErase deletes a contact and anonymises its executions.
func (t *tx) ContactErase(ctx context.Context, tenantID, id uuid.UUID, at time.Time) (*store.ContactErasure, error) {
	at = at.UTC()
	var one int
	if err := t.tx.QueryRow(ctx, `SELECT 1 FROM contacts WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, id).Scan(&one); err != nil {
		return nil, translate(err, "erase contact %s", id)
	}
	res := &store.ContactErasure{}
	const execs = `SELECT id FROM workflow_executions WHERE tenant_id = $1 AND contact_id = $2`
	tag, err := t.tx.Exec(ctx, `UPDATE workflow_executions SET status = 'CANCELLED', token = token + 1, wake_at = NULL,
    finished_at = $3, updated_at = $3, error = 'contact erased'
WHERE tenant_id = $1 AND contact_id = $2 AND status IN ('PENDING', 'RUNNING', 'WAITING')`, tenantID, id, at)
	if err != nil {
		return nil, translate(err, "cancel executions of contact %s", id)
	}
	res.Cancelled = int(tag.RowsAffected())
	steps := []struct{ what, sql string }{
		{"cancel open steps", `UPDATE workflow_execution_steps SET status = 'CANCELLED', finished_at = $3
WHERE tenant_id = $1 AND status IN ('RUNNING', 'WAITING') AND execution_id IN (` + execs + `)`},
		{"scrub steps", `UPDATE workflow_execution_steps SET input = NULL, output = NULL, error = ''
WHERE tenant_id = $1 AND execution_id IN (` + execs + `)`},
		{"scrub outbox", `UPDATE outbox SET request = NULL, response = NULL, error = ''
WHERE tenant_id = $1 AND execution_id IN (` + execs + `)`},
		{"delete waits", `DELETE FROM waits WHERE tenant_id = $1 AND (contact_id = $2 OR execution_id IN (` + execs + `))`},
	}
	for _, s := range steps {
		sqlArgs := []any{tenantID, id}
		if strings.Contains(s.sql, "$3") {
			sqlArgs = append(sqlArgs, at)
		}
		if _, err := t.tx.Exec(ctx, s.sql, sqlArgs...); err != nil {
			return nil, translate(err, "erase contact %s: %s", id, s.what)
		}
	}
	tag, err = t.tx.Exec(ctx, `UPDATE workflow_executions SET contact_id = NULL, context = '{}'::jsonb, updated_at = $3
WHERE tenant_id = $1 AND contact_id = $2`, tenantID, id, at)
	if err != nil {
		return nil, translate(err, "anonymise executions of contact %s", id)
	}
	res.Executions = int(tag.RowsAffected())
	if _, err := t.tx.Exec(ctx, `DELETE FROM contacts WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
		return nil, translate(err, "delete contact %s", id)
	}
	return res, nil
}

// contactTimelineSQL merges a contact's events, journeys entered (an
// execution created) and exited (finished), and steps, newest first;
// $3-$5 is the keyset cursor (NULL: from the newest).
const contactTimelineSQL = `SELECT kind, at, id, execution_id, workflow_id, name, node_id, status, data FROM (
    SELECT 'event' AS kind, 0 AS ord, ev.occurred_at AS at, ev.id, NULL::uuid AS execution_id, NULL::uuid AS workflow_id,
        ev.name, '' AS node_id, '' AS status, ev.properties AS data
    FROM events ev WHERE ev.tenant_id = $1 AND ev.contact_id = $2
    UNION ALL
    SELECT 'journey.entered', 1, least(e.created_at, coalesce(e.started_at, e.created_at)), e.id, e.id, e.workflow_id, coalesce(w.name, ''), '', e.status, NULL::jsonb
    FROM workflow_executions e LEFT JOIN workflows w ON w.tenant_id = e.tenant_id AND w.id = e.workflow_id
    WHERE e.tenant_id = $1 AND e.contact_id = $2
    UNION ALL
    SELECT 'journey.exited', 3, e.finished_at, e.id, e.id, e.workflow_id, coalesce(w.name, ''), '', e.status, NULL::jsonb
    FROM workflow_executions e LEFT JOIN workflows w ON w.tenant_id = e.tenant_id AND w.id = e.workflow_id
    WHERE e.tenant_id = $1 AND e.contact_id = $2 AND e.finished_at IS NOT NULL
    UNION ALL
    SELECT 'step', 2, s.started_at, s.id, s.execution_id, e.workflow_id, s.node_type, s.node_id, s.status, NULL::jsonb
    FROM workflow_executions e JOIN workflow_execution_steps s ON s.tenant_id = e.tenant_id AND s.execution_id = e.id
    WHERE e.tenant_id = $1 AND e.contact_id = $2
) t
WHERE $3::timestamptz IS NULL OR (at, ord, id) < ($3::timestamptz, $4::int, $5::uuid)
ORDER BY at DESC, ord DESC, id DESC
LIMIT $6`

// ContactTimeline lists what happened to a contact, newest first.
func (t *tx) ContactTimeline(ctx context.Context, p *store.ContactTimelineParams) ([]store.TimelineItem, error) {
	var at *time.Time
	var ord int
	var id uuid.UUID
	if p.Before != nil {
		v := p.Before.At.UTC()
		at, ord, id = &v, store.TimelineOrder(p.Before.Kind), p.Before.ID
	}
	rows, err := t.tx.Query(ctx, contactTimelineSQL, p.TenantID, p.ContactID, at, ord, id, store.ContactListLimit(p.Limit))
	if err != nil {
		return nil, translate(err, "timeline of contact %s", p.ContactID)
	}
	defer rows.Close()
	var out []store.TimelineItem
	for rows.Next() {
		var it store.TimelineItem
		var data []byte
		if err := rows.Scan(&it.Kind, &it.At, &it.ID, &it.ExecutionID, &it.WorkflowID, &it.Name, &it.NodeID, &it.Status, &data); err != nil {
			return nil, translate(err, "timeline of contact %s", p.ContactID)
		}
		it.At = it.At.UTC()
		it.Data = rawJSON(data)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "timeline of contact %s", p.ContactID)
	}
	return out, nil
}

// contactKeyOf is an external ID or email as a sort key ("" when nil).
func contactKeyOf(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
