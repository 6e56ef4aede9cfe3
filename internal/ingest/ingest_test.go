package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/ingest"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/usage"
)

var stores = []struct {
	name string
	open func(t testing.TB) store.Store
}{
	{"sqlite", func(t testing.TB) store.Store { return storetest.SQLite(t) }},
	{"postgres", func(t testing.TB) store.Store { return storetest.Postgres(t) }},
}

// recorder is an engine stand-in that records the events it is handed.
type recorder struct {
	mu  sync.Mutex
	evs []engine.IncomingEvent
}

func (r *recorder) EventTx(_ context.Context, _ store.Tx, evs []engine.IncomingEvent) (engine.EventResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, evs...)
	return engine.EventResult{}, nil
}

func newTenant(t *testing.T, st store.Store) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	require.NoError(t, st.InTx(context.Background(), uuid.Nil, func(tx store.Tx) error {
		tn, err := tx.TenantInsert(context.Background(), &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + uuid.NewString()[:8], Plan: domain.PlanPro})
		if err != nil {
			return err
		}
		id = tn.ID
		return nil
	}))
	return id
}

func events(t *testing.T, st store.Store, tenantID uuid.UUID) []domain.Event {
	t.Helper()
	var out []domain.Event
	require.NoError(t, st.Read(context.Background(), tenantID, func(tx store.Tx) error {
		var err error
		out, err = tx.EventList(context.Background(), &store.EventListParams{TenantID: tenantID, Limit: 1000})
		return err
	}))
	return out
}

func contactOf(externalID string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"externalId":%q}`, externalID))
}

func TestIngestRefusesBadItemsAndStoresTheRest(t *testing.T) {
	t.Parallel()
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			tenant := newTenant(t, st)
			rec := &recorder{}
			now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
			svc := &ingest.Service{Store: st, Engine: rec, Now: func() time.Time { return now }}
			big := `{"x":"` + strings.Repeat("a", ingest.MaxPropertiesBytes) + `"}`
			bad := []struct {
				item  ingest.Item
				field string
				msg   string
			}{
				{ingest.Item{Contact: contactOf("u1")}, "name", "required"},
				{ingest.Item{Contact: contactOf("u1"), Name: strings.Repeat("n", 201)}, "name", "longer than 200"},
				{ingest.Item{Contact: contactOf("u1"), Name: "x", Timestamp: "yesterday"}, "timestamp", "RFC 3339"},
				{ingest.Item{Contact: contactOf("u1"), Name: "x", Timestamp: "2026-06-03T12:00:00Z"}, "timestamp", "ahead"},
				{ingest.Item{Contact: contactOf("u1"), Name: "x", Properties: json.RawMessage(`[1,2]`)}, "properties", "JSON object"},
				{ingest.Item{Contact: contactOf("u1"), Name: "x", Properties: json.RawMessage(`"s"`)}, "properties", "JSON object"},
				{ingest.Item{Contact: contactOf("u1"), Name: "x", Properties: json.RawMessage(big)}, "properties", "limit"},
				{ingest.Item{Contact: contactOf("u1"), Name: "x", Size: ingest.MaxItemBytes + 1}, "", "limit"},
				{ingest.Item{Contact: json.RawMessage(`{"externalId":"u1","plan":"pro","age":3}`), Name: "x"}, "contact", "unknown field(s) age, plan"},
				{ingest.Item{Contact: json.RawMessage(`{"name":"Ada"}`), Name: "x"}, "contact", "externalId or an email"},
				{ingest.Item{Contact: json.RawMessage(`{"email":"not-an-email"}`), Name: "x"}, "contact.email", "not an email"},
				{ingest.Item{Contact: json.RawMessage(`{"externalId":"u1","phone":"12"}`), Name: "x"}, "contact.phone", "E.164"},
				{ingest.Item{Contact: json.RawMessage(`{"externalId":"u1","attributes":[1]}`), Name: "x"}, "contact.attributes", "JSON object"},
				{ingest.Item{Contact: json.RawMessage(`"u1"`), Name: "x"}, "contact", "JSON object"},
				{ingest.Item{Name: "x"}, "userId", "userId or an email"},
			}
			items := make([]ingest.Item, 0, len(bad)+1)
			for _, c := range bad {
				items = append(items, c.item)
			}
			items = append(items, ingest.Item{Contact: contactOf("u1"), Name: "ok", Timestamp: "2026-05-31T10:00:00.5+02:00"})
			res, err := svc.Ingest(context.Background(), tenant, items, ingest.SourceAPI)
			require.NoError(t, err)
			require.Equal(t, 1, res.Accepted)
			require.Len(t, res.Errors, len(bad))
			for i, c := range bad {
				e := res.Errors[i]
				require.Equal(t, i, e.Index)
				require.Equal(t, c.field, e.Field, "item %d: %s", i, e.Message)
				require.Contains(t, e.Message, c.msg, "item %d", i)
			}
			stored := events(t, st, tenant)
			require.Len(t, stored, 1)
			require.Equal(t, "ok", stored[0].Name)
			require.Equal(t, time.Date(2026, 5, 31, 8, 0, 0, 500_000_000, time.UTC), stored[0].OccurredAt)
			require.Len(t, rec.evs, 1)
			require.Equal(t, stored[0].ID, rec.evs[0].Event.ID)
			require.Equal(t, "u1", *rec.evs[0].Contact.ExternalID)
		})
	}
}

func TestIngestDuplicatesAndContacts(t *testing.T) {
	t.Parallel()
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			tenant := newTenant(t, st)
			rec := &recorder{}
			svc := &ingest.Service{Store: st, Engine: rec}
			ctx := context.Background()
			items := []ingest.Item{
				{Contact: json.RawMessage(`{"externalId":"u1","email":"Ada@Example.com","attributes":{"plan":"free"}}`), Name: "a", MessageID: "m1"},
				{Contact: json.RawMessage(`{"externalId":"u1","attributes":{"plan":"pro","seats":3}}`), Name: "b", MessageID: "m2"},
				{Contact: json.RawMessage(`{"externalId":"u1"}`), Name: "a", MessageID: "m1"}, // a repeat in the batch
				{Contact: json.RawMessage(`{"email":"bob@example.com"}`), Name: "c"},
				{Kind: ingest.KindIdentify, UserID: "u2", Traits: json.RawMessage(`{"email":"cy@example.com","firstName":"Cy","plan":"biz"}`)},
			}
			res, err := svc.Ingest(ctx, tenant, items, ingest.SourceAPI)
			require.NoError(t, err)
			require.Empty(t, res.Errors)
			require.Equal(t, 5, res.Accepted)
			require.Equal(t, 1, res.Duplicates)
			require.Equal(t, 3, res.Contacts)
			require.Equal(t, 3, res.Created)
			require.Len(t, res.Events, 3)
			require.Len(t, rec.evs, 3)

			var u1, u2 *domain.Contact
			require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
				var err error
				if u1, err = tx.ContactGetByExternalID(ctx, tenant, "u1"); err != nil {
					return err
				}
				u2, err = tx.ContactGetByExternalID(ctx, tenant, "u2")
				return err
			}))
			require.Equal(t, "ada@example.com", *u1.Email)
			require.JSONEq(t, `{"plan":"pro","seats":3}`, string(u1.Attributes))
			require.Equal(t, "Cy", u2.Name)
			require.NotNil(t, u1.LastSeenAt)

			// The same messages again: accepted, nothing stored, no journey.
			res, err = svc.Ingest(ctx, tenant, items[:2], ingest.SourceAPI)
			require.NoError(t, err)
			require.Equal(t, 2, res.Accepted)
			require.Equal(t, 2, res.Duplicates)
			require.Empty(t, res.Events)
			require.Len(t, rec.evs, 3)
			require.Len(t, events(t, st, tenant), 3)
		})
	}
}

func TestIngestEmailOfAnotherContactRefusesOnlyThatItem(t *testing.T) {
	t.Parallel()
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			tenant := newTenant(t, st)
			svc := &ingest.Service{Store: st}
			ctx := context.Background()
			_, err := svc.Ingest(ctx, tenant, []ingest.Item{
				{Contact: json.RawMessage(`{"externalId":"u1","email":"ada@example.com"}`), Name: "a"},
			}, ingest.SourceAPI)
			require.NoError(t, err)
			res, err := svc.Ingest(ctx, tenant, []ingest.Item{
				{Contact: json.RawMessage(`{"externalId":"u2","email":"ada@example.com"}`), Name: "b"},
				{Contact: json.RawMessage(`{"externalId":"u3"}`), Name: "c"},
			}, ingest.SourceAPI)
			require.NoError(t, err)
			require.Equal(t, 1, res.Accepted)
			require.Len(t, res.Errors, 1)
			require.Equal(t, 0, res.Errors[0].Index)
			require.Contains(t, res.Errors[0].Message, "another contact")
			require.Len(t, events(t, st, tenant), 2)
		})
	}
}

func TestRetentionSweep(t *testing.T) {
	t.Parallel()
	st := storetest.SQLite(t)
	tenant := newTenant(t, st)
	svc := &ingest.Service{Store: st}
	ctx := context.Background()
	old := time.Now().Add(-100 * 24 * time.Hour).UTC().Format(time.RFC3339)
	items := []ingest.Item{{Contact: contactOf("u1"), Name: "new"}}
	for range 3 {
		items = append(items, ingest.Item{Contact: contactOf("u1"), Name: "old", Timestamp: old})
	}
	_, err := svc.Ingest(ctx, tenant, items, ingest.SourceAPI)
	require.NoError(t, err)

	n, err := (&ingest.Retention{Store: st}).Sweep(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "Keep 0 keeps everything")
	n, err = (&ingest.Retention{Store: st, Keep: ingest.DefaultRetention}).Sweep(ctx)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	left := events(t, st, tenant)
	require.Len(t, left, 1)
	require.Equal(t, "new", left[0].Name)
}

// fillContacts creates n contacts of the tenant directly.
func fillContacts(t *testing.T, st store.Store, tenant uuid.UUID, n int) {
	t.Helper()
	ps := make([]*store.ContactUpsertParams, n)
	for i := range ps {
		ext := fmt.Sprintf("old-%d", i)
		ps[i] = &store.ContactUpsertParams{TenantID: tenant, ExternalID: &ext}
	}
	require.NoError(t, st.InTx(context.Background(), tenant, func(tx store.Tx) error {
		_, err := tx.ContactUpsertMany(context.Background(), ps)
		return err
	}))
}

// A FREE workspace two contacts short of its limit: a batch keeps the items
// of existing contacts and of the first two new ones, refuses those naming
// further new contacts by index with the limit, and stores the rest; a
// batch of new contacts only is refused whole with Result.Limit set.
func TestIngestStopsNewContactsAtThePlanLimit(t *testing.T) {
	t.Parallel()
	for _, b := range stores {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.open(t)
			ctx := context.Background()
			tenant := newTenant(t, st)
			meter := usage.New(st, usage.Options{})
			require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
				_, err := meter.SetPlan(ctx, tx, tenant, domain.PlanFree)
				return err
			}))
			free, _ := plan.For(domain.PlanFree)
			fillContacts(t, st, tenant, free.Contacts-2)
			svc := &ingest.Service{Store: st, ContactQuota: meter.Contacts}

			res, err := svc.Ingest(ctx, tenant, []ingest.Item{
				{Contact: contactOf("old-1"), Name: "seen"},  // exists
				{Contact: contactOf("new-1"), Name: "seen"},  // new, fits
				{Contact: contactOf("new-2"), Name: "seen"},  // new, fits
				{Contact: contactOf("new-3"), Name: "seen"},  // new, past the limit
				{Contact: contactOf("new-1"), Name: "again"}, // the first new one again
				{Contact: contactOf("new-4"), Name: "seen"},  // new, past the limit
			}, ingest.SourceAPI)
			require.NoError(t, err)
			require.Equal(t, 4, res.Accepted)
			require.Len(t, res.Errors, 2)
			require.Equal(t, 3, res.Errors[0].Index)
			require.Equal(t, 5, res.Errors[1].Index)
			require.Equal(t, "contact", res.Errors[0].Field)
			require.Contains(t, res.Errors[0].Message, fmt.Sprintf("plan FREE allows %d contacts", free.Contacts))
			require.NotNil(t, res.Limit)
			require.Equal(t, plan.LimitContacts, res.Limit.Limit)
			require.Equal(t, 2, res.Created)
			require.Len(t, events(t, st, tenant), 4)

			var count int64
			require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
				count, err = tx.UsageCount(ctx, tenant, store.UsageContacts, time.Now())
				return err
			}))
			require.EqualValues(t, free.Contacts, count, "the plan's limit, not one past it")

			// At the limit: new contacts only → nothing taken, the limit named.
			res, err = svc.Ingest(ctx, tenant, []ingest.Item{{Contact: contactOf("new-5"), Name: "seen"}}, ingest.SourceAPI)
			require.NoError(t, err)
			require.Zero(t, res.Accepted)
			require.NotNil(t, res.Limit)
			require.EqualValues(t, free.Contacts, res.Limit.Usage)
			// Existing contacts still send events.
			res, err = svc.Ingest(ctx, tenant, []ingest.Item{{Contact: contactOf("new-2"), Name: "later"}}, ingest.SourceAPI)
			require.NoError(t, err)
			require.Equal(t, 1, res.Accepted)
			require.Nil(t, res.Limit)
			require.Len(t, events(t, st, tenant), 5)
		})
	}
}
