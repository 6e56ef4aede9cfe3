package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

func strp(s string) *string { return &s }

// upsertContact upserts a contact and requires it to succeed.
func (f *fixture) upsertContact(t *testing.T, p *store.ContactUpsertParams) (*domain.Contact, bool) {
	t.Helper()
	var c *domain.Contact
	var created bool
	f.in(t, p.TenantID, func(tx store.Tx) {
		var err error
		c, created, err = tx.ContactUpsert(f.ctx, p)
		require.NoError(t, err)
	})
	return c, created
}

func (f *fixture) listContacts(t *testing.T, p *store.ContactListParams) []string {
	t.Helper()
	var names []string
	f.read(t, p.TenantID, func(tx store.Tx) {
		cs, err := tx.ContactList(f.ctx, p)
		require.NoError(t, err)
		for _, c := range cs {
			names = append(names, c.Name)
		}
	})
	return names
}

func contactCases() []exerciseCase {
	return []exerciseCase{
		{"ContactUpsert/CreatesAndMatchesByExternalID", func(t *testing.T, f *fixture) {
			seen := ts().Add(-time.Hour)
			c, created := f.upsertContact(t, &store.ContactUpsertParams{
				TenantID: f.tenantA.ID, ExternalID: strp("u-1"), Email: strp("ada@example.com"), Phone: strp("+4915112345678"),
				MessengerPSID: strp("123"), Name: strp("Ada"), Timezone: strp("Europe/Berlin"), Locale: strp("de-DE"),
				Attributes:    json.RawMessage(`{"plan":"pro","seats":3,"nested":{"a":1}}`),
				Subscriptions: map[string]domain.Subscription{"email": {State: domain.SubscriptionSubscribed, Source: "api", At: seen}},
				LastSeenAt:    &seen,
			})
			require.True(t, created)
			require.Equal(t, f.tenantA.ID, c.TenantID)
			require.Equal(t, "u-1", *c.ExternalID)
			require.Equal(t, "ada@example.com", *c.Email)
			require.Equal(t, "+4915112345678", *c.Phone)
			require.Equal(t, "123", *c.MessengerPSID)
			require.Equal(t, "Ada", c.Name)
			require.Equal(t, "Europe/Berlin", c.Timezone)
			require.Equal(t, "de-DE", c.Locale)
			requireJSON(t, `{"plan":"pro","seats":3,"nested":{"a":1}}`, c.Attributes)
			require.Equal(t, domain.Subscription{State: "subscribed", Source: "api", At: seen}, c.Subscriptions["email"])
			require.Equal(t, seen, *c.LastSeenAt)
			require.False(t, c.CreatedAt.IsZero())

			// Same external ID: updated, fields left nil kept, attributes
			// merged (top-level replace, null deletes), last seen only forward.
			older := seen.Add(-time.Hour)
			u, created := f.upsertContact(t, &store.ContactUpsertParams{
				TenantID: f.tenantA.ID, ExternalID: strp("u-1"), Name: strp("Ada L."),
				Attributes:    json.RawMessage(`{"seats":5,"nested":{"b":2},"plan":null}`),
				Subscriptions: map[string]domain.Subscription{"whatsapp": {State: domain.SubscriptionUnsubscribed, Source: "import", At: seen}},
				LastSeenAt:    &older,
			})
			require.False(t, created)
			require.Equal(t, c.ID, u.ID)
			require.Equal(t, "Ada L.", u.Name)
			require.Equal(t, "ada@example.com", *u.Email)
			require.Equal(t, "Europe/Berlin", u.Timezone)
			requireJSON(t, `{"seats":5,"nested":{"b":2}}`, u.Attributes)
			require.Len(t, u.Subscriptions, 2)
			require.Equal(t, seen, *u.LastSeenAt)
			require.Equal(t, c.CreatedAt, u.CreatedAt)

			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.ContactGetByID(f.ctx, f.tenantA.ID, c.ID)
				require.NoError(t, err)
				require.Equal(t, u, got)
				got, err = tx.ContactGetByExternalID(f.ctx, f.tenantA.ID, "u-1")
				require.NoError(t, err)
				require.Equal(t, c.ID, got.ID)
				got, err = tx.ContactGetByEmail(f.ctx, f.tenantA.ID, "ada@example.com")
				require.NoError(t, err)
				require.Equal(t, c.ID, got.ID)
			})
			// Another tenant sees nothing and may use the same keys.
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				_, err := tx.ContactGetByID(f.ctx, f.tenantB.ID, c.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.ContactGetByExternalID(f.ctx, f.tenantB.ID, "u-1")
				require.ErrorIs(t, err, store.ErrNotFound)
			})
			b, created := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantB.ID, ExternalID: strp("u-1"), Email: strp("ada@example.com")})
			require.True(t, created)
			require.NotEqual(t, c.ID, b.ID)
		}},
		{"ContactUpsert/MatchesByEmail", func(t *testing.T, f *fixture) {
			c, created := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, Email: strp("lead@example.com"), Name: strp("Lead")})
			require.True(t, created)
			require.Nil(t, c.ExternalID)
			// An identify with a user ID and the same email claims the contact.
			u, created := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("u-9"), Email: strp("lead@example.com")})
			require.False(t, created)
			require.Equal(t, c.ID, u.ID)
			require.Equal(t, "u-9", *u.ExternalID)
			// Another user ID with that email is a conflict, and nothing changes.
			err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, _, err := tx.ContactUpsert(f.ctx, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("u-10"), Email: strp("lead@example.com")})
				return err
			})
			require.ErrorIs(t, err, store.ErrConflict)
			// Moving a contact to an email another one holds is a conflict too,
			// and the transaction stays usable.
			f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("u-11"), Email: strp("other@example.com")})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, _, err := tx.ContactUpsert(f.ctx, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("u-11"), Email: strp("lead@example.com")})
				require.ErrorIs(t, err, store.ErrConflict)
				got, err := tx.ContactGetByExternalID(f.ctx, f.tenantA.ID, "u-11")
				require.NoError(t, err)
				require.Equal(t, "other@example.com", *got.Email)
			})
			// Clearing a phone: "" stores NULL.
			f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("u-9"), Phone: strp("+12025550123")})
			cl, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("u-9"), Phone: strp("")})
			require.Nil(t, cl.Phone)
		}},
		{"ContactGetByPhone/OldestOfTheTenant", func(t *testing.T, f *fixture) {
			contactLookupCase(t, f, func(p *store.ContactUpsertParams, v string) { p.Phone = &v },
				func(tx store.Tx, tenant uuid.UUID, v string) (*domain.Contact, error) {
					return tx.ContactGetByPhone(f.ctx, tenant, v)
				}, "+4915112345678", "+4915100000000")
		}},
		{"ContactGetByMessengerPSID/OldestOfTheTenant", func(t *testing.T, f *fixture) {
			contactLookupCase(t, f, func(p *store.ContactUpsertParams, v string) { p.MessengerPSID = &v },
				func(tx store.Tx, tenant uuid.UUID, v string) (*domain.Contact, error) {
					return tx.ContactGetByMessengerPSID(f.ctx, tenant, v)
				}, "2400000000000001", "2400000000000002")
		}},
		{"ContactUpsert/AttributesLimit", func(t *testing.T, f *fixture) {
			c, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("big"), Attributes: json.RawMessage(`{"a":"0123456789"}`)})
			err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, _, err := tx.ContactUpsert(f.ctx, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("big"),
					Attributes: json.RawMessage(`{"b":"0123456789"}`), MaxAttributesBytes: 30})
				return err
			})
			require.ErrorIs(t, err, store.ErrAttributesTooLarge)
			err = f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.ContactAttributesMerge(f.ctx, &store.ContactAttributesMergeParams{TenantID: f.tenantA.ID, ID: c.ID,
					Attributes: json.RawMessage(`{"b":"0123456789"}`), MaxAttributesBytes: 30})
				return err
			})
			require.ErrorIs(t, err, store.ErrAttributesTooLarge)
		}},
		{"ContactUpsertMany", func(t *testing.T, f *fixture) {
			var res []store.ContactUpsertResult
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				var err error
				res, err = tx.ContactUpsertMany(f.ctx, []*store.ContactUpsertParams{
					{TenantID: f.tenantA.ID, ExternalID: strp("m-1"), Name: strp("One")},
					{TenantID: f.tenantA.ID, ExternalID: strp("m-2")},
					{TenantID: f.tenantA.ID, ExternalID: strp("m-1"), Name: strp("One again")},
				})
				require.NoError(t, err)
			})
			require.Len(t, res, 3)
			require.True(t, res[0].Created)
			require.True(t, res[1].Created)
			require.False(t, res[2].Created)
			require.Equal(t, res[0].Contact.ID, res[2].Contact.ID)
			require.Equal(t, "One again", res[2].Contact.Name)
			// Fields not given are stored as NULL, as returned and as read
			// again (the batch's arrays carry them without NULLs).
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.ContactGetByID(f.ctx, f.tenantA.ID, res[1].Contact.ID)
				require.NoError(t, err)
				for _, c := range []*domain.Contact{res[1].Contact, got} {
					require.Nil(t, c.Email)
					require.Nil(t, c.Phone)
					require.Nil(t, c.MessengerPSID)
					require.Nil(t, c.LastSeenAt)
				}
				_, err = tx.ContactGetByEmail(f.ctx, f.tenantA.ID, "")
				require.ErrorIs(t, err, store.ErrNotFound)
			})
		}},
		{"ContactUpsert/SkipsWriteWhenOnlySeenMovesLittle", func(t *testing.T, f *fixture) {
			seen := ts().Add(-time.Hour)
			c, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("k-1"),
				Name: strp("Kim"), Attributes: json.RawMessage(`{"plan":"pro","seats":3}`), LastSeenAt: &seen})
			stored := func() *domain.Contact {
				var got *domain.Contact
				f.read(t, f.tenantA.ID, func(tx store.Tx) {
					var err error
					got, err = tx.ContactGetByID(f.ctx, f.tenantA.ID, c.ID)
					require.NoError(t, err)
				})
				return got
			}
			// Nothing but last seen, moved by less than the step: the
			// contact is returned as stored and not written (updated_at kept).
			soon := seen.Add(store.ContactSeenStep - time.Second)
			same := []*store.ContactUpsertParams{
				{TenantID: f.tenantA.ID, ExternalID: strp("k-1"), LastSeenAt: &soon},
				{TenantID: f.tenantA.ID, ExternalID: strp("k-1"), Name: strp("Kim"), Attributes: json.RawMessage(`{"seats": 3, "plan": "pro"}`), LastSeenAt: &soon},
			}
			for _, p := range same {
				u, _ := f.upsertContact(t, p)
				require.Equal(t, c, u)
			}
			var res []store.ContactUpsertResult
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				var err error
				res, err = tx.ContactUpsertMany(f.ctx, same)
				require.NoError(t, err)
			})
			require.Equal(t, c, res[1].Contact)
			require.Equal(t, c, stored())

			// Last seen moved by the step or more: written.
			later := seen.Add(store.ContactSeenStep)
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				var err error
				res, err = tx.ContactUpsertMany(f.ctx, []*store.ContactUpsertParams{{TenantID: f.tenantA.ID, ExternalID: strp("k-1"), LastSeenAt: &later}})
				require.NoError(t, err)
			})
			require.Equal(t, later, *res[0].Contact.LastSeenAt)
			require.Equal(t, res[0].Contact, stored())

			// Any other change is written with last seen, however close.
			closer := later.Add(time.Second)
			u, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("k-1"), Locale: strp("de-DE"), LastSeenAt: &closer})
			require.Equal(t, "de-DE", u.Locale)
			require.Equal(t, closer, *u.LastSeenAt)
			require.True(t, u.UpdatedAt.After(c.UpdatedAt) || u.UpdatedAt.Equal(c.UpdatedAt))
			require.Equal(t, u, stored())
		}},
		{"ContactUpsertMany/MatchesAndMerges", func(t *testing.T, f *fixture) {
			seen := ts().Add(-time.Hour)
			older := seen.Add(-time.Hour)
			s1, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("s-1"), Email: strp("a@example.com"),
				Attributes: json.RawMessage(`{"n":0,"keep":true}`), LastSeenAt: &seen})
			lead, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, Email: strp("lead@example.com")})
			s2, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("s-2"), Email: strp("b@example.com")})
			var res []store.ContactUpsertResult
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				var err error
				res, err = tx.ContactUpsertMany(f.ctx, []*store.ContactUpsertParams{
					{TenantID: f.tenantA.ID, ExternalID: strp("s-1"), Attributes: json.RawMessage(`{"n":1}`)},
					{TenantID: f.tenantA.ID, ExternalID: strp("n-1"), Email: strp("lead@example.com")},
					{TenantID: f.tenantA.ID, ExternalID: strp("n-2"), Email: strp("new@example.com"), Name: strp("New")},
					{TenantID: f.tenantA.ID, Email: strp("new@example.com"), Name: strp("New again")},
					{TenantID: f.tenantA.ID, ExternalID: strp("s-1"), Attributes: json.RawMessage(`{"n":null,"m":2}`), LastSeenAt: &older},
				})
				require.NoError(t, err)
			})
			require.Len(t, res, 5)
			for i, created := range []bool{false, false, true, false, false} {
				require.Equal(t, created, res[i].Created, "result %d", i)
			}
			require.Equal(t, s1.ID, res[0].Contact.ID)
			requireJSON(t, `{"n":1,"keep":true}`, res[0].Contact.Attributes)
			require.Equal(t, lead.ID, res[1].Contact.ID)
			require.Equal(t, "n-1", *res[1].Contact.ExternalID)
			require.Equal(t, res[2].Contact.ID, res[3].Contact.ID)
			require.Equal(t, "n-2", *res[3].Contact.ExternalID)
			require.Equal(t, "New again", res[3].Contact.Name)
			require.Equal(t, s1.ID, res[4].Contact.ID)
			requireJSON(t, `{"m":2,"keep":true}`, res[4].Contact.Attributes)
			require.Equal(t, seen, *res[4].Contact.LastSeenAt, "last seen only moves forward")
			require.Equal(t, s1.CreatedAt, res[4].Contact.CreatedAt)
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.ContactGetByExternalID(f.ctx, f.tenantA.ID, "s-1")
				require.NoError(t, err)
				require.Equal(t, res[4].Contact, got)
				got, err = tx.ContactGetByEmail(f.ctx, f.tenantA.ID, "new@example.com")
				require.NoError(t, err)
				require.Equal(t, res[3].Contact, got)
			})

			// An email held by a contact with another external ID stops the
			// batch with ErrConflict, and nothing is written.
			err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.ContactUpsertMany(f.ctx, []*store.ContactUpsertParams{
					{TenantID: f.tenantA.ID, ExternalID: strp("ok-1")},
					{TenantID: f.tenantA.ID, ExternalID: strp("x-9"), Email: strp("a@example.com")},
				})
				return err
			})
			require.ErrorIs(t, err, store.ErrConflict)
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.ContactGetByExternalID(f.ctx, f.tenantA.ID, "ok-1")
				require.ErrorIs(t, err, store.ErrNotFound)
			})

			// An email one contact of the batch leaves, a later one may take.
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				res, err := tx.ContactUpsertMany(f.ctx, []*store.ContactUpsertParams{
					{TenantID: f.tenantA.ID, ExternalID: strp("s-1"), Email: strp("c@example.com")},
					{TenantID: f.tenantA.ID, ExternalID: strp("s-2"), Email: strp("a@example.com")},
				})
				require.NoError(t, err)
				require.Equal(t, s1.ID, res[0].Contact.ID)
				require.Equal(t, "c@example.com", *res[0].Contact.Email)
				require.Equal(t, s2.ID, res[1].Contact.ID)
				require.Equal(t, "a@example.com", *res[1].Contact.Email)
			})
		}},
		{"ContactUpsertMany/ConcurrentBatchesCreateOnce", func(t *testing.T, f *fixture) {
			const copies = 8
			var (
				wg   sync.WaitGroup
				mu   sync.Mutex
				errs []error
			)
			start := make(chan struct{})
			for i := range copies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					err := f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
						_, err := tx.ContactUpsertMany(f.ctx, []*store.ContactUpsertParams{
							{TenantID: f.tenantA.ID, ExternalID: strp("shared-1"), Attributes: json.RawMessage(fmt.Sprintf(`{"k%d":true}`, i))},
							{TenantID: f.tenantA.ID, ExternalID: strp(fmt.Sprint("own-", i))},
							{TenantID: f.tenantA.ID, ExternalID: strp("shared-2"), Email: strp("shared@example.com")},
						})
						return err
					})
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}()
			}
			close(start)
			wg.Wait()
			require.Empty(t, errs)
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				list, err := tx.ContactList(f.ctx, &store.ContactListParams{TenantID: f.tenantA.ID, Limit: 100})
				require.NoError(t, err)
				require.Len(t, list, copies+2, "one contact per external ID")
				got, err := tx.ContactGetByExternalID(f.ctx, f.tenantA.ID, "shared-1")
				require.NoError(t, err)
				var attrs map[string]bool
				require.NoError(t, json.Unmarshal(got.Attributes, &attrs))
				require.Len(t, attrs, copies, "every batch merged its attributes")
			})
		}},
		{"ContactAttributesMerge", func(t *testing.T, f *fixture) {
			c, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("x"), Attributes: json.RawMessage(`{"a":1,"b":2}`)})
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				got, err := tx.ContactAttributesMerge(f.ctx, &store.ContactAttributesMergeParams{TenantID: f.tenantA.ID, ID: c.ID,
					Attributes: json.RawMessage(`{"b":null,"c":"x"}`)})
				require.NoError(t, err)
				requireJSON(t, `{"a":1,"c":"x"}`, got.Attributes)
			})
			err := f.s.InTx(f.ctx, f.tenantB.ID, func(tx store.Tx) error {
				_, err := tx.ContactAttributesMerge(f.ctx, &store.ContactAttributesMergeParams{TenantID: f.tenantB.ID, ID: c.ID, Attributes: json.RawMessage(`{}`)})
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
		}},
		{"ContactList/Filters", func(t *testing.T, f *fixture) {
			now := ts()
			mk := func(name, ext string, attrs string, sub string, seen time.Time) {
				p := &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp(ext), Name: strp(name),
					Email: strp(ext + "@example.com"), Attributes: json.RawMessage(attrs), LastSeenAt: &seen}
				if sub != "" {
					p.Subscriptions = map[string]domain.Subscription{"email": {State: sub, At: now}}
				}
				f.upsertContact(t, p)
			}
			mk("Ann", "ann", `{"plan":"pro","age":30,"vip":true,"address":{"city":"Berlin"}}`, domain.SubscriptionSubscribed, now.Add(-time.Hour))
			mk("Bob", "bob", `{"plan":"free","age":17.5,"vip":false}`, domain.SubscriptionUnsubscribed, now.Add(-2*time.Hour))
			mk("Cid", "cid", `{"plan":"pro","age":"30"}`, "", now.Add(-3*time.Hour))
			mk("Dee", "dee-100%", `{}`, domain.SubscriptionNever, now.Add(-4*time.Hour))
			f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantB.ID, ExternalID: strp("ann"), Name: strp("Other tenant"), Attributes: json.RawMessage(`{"plan":"pro"}`)})

			list := func(mod func(p *store.ContactListParams)) []string {
				p := &store.ContactListParams{TenantID: f.tenantA.ID}
				mod(p)
				return f.listContacts(t, p)
			}
			attr := func(key string, op store.AttributeOp, v any) func(p *store.ContactListParams) {
				return func(p *store.ContactListParams) { p.Attributes = []store.AttributeFilter{{Key: key, Op: op, Value: v}} }
			}
			require.Equal(t, []string{"Dee", "Cid", "Bob", "Ann"}, list(func(*store.ContactListParams) {}))
			require.Equal(t, []string{"Cid", "Ann"}, list(attr("plan", store.AttrEq, "pro")))
			require.Equal(t, []string{"Bob"}, list(attr("plan", store.AttrNe, "pro")))
			require.Equal(t, []string{"Ann"}, list(attr("age", store.AttrEq, 30.0)), "a number does not equal a string")
			require.Equal(t, []string{"Bob"}, list(attr("age", store.AttrLt, 18.0)))
			require.Equal(t, []string{"Ann"}, list(attr("age", store.AttrGte, 18.0)))
			require.Equal(t, []string{"Bob", "Ann"}, list(attr("age", store.AttrLte, 30.0)))
			require.Equal(t, []string{"Ann"}, list(attr("age", store.AttrGt, 17.5)))
			require.Equal(t, []string{"Bob"}, list(attr("plan", store.AttrLt, "pro")), "strings compare bytewise")
			require.Equal(t, []string{"Ann"}, list(attr("vip", store.AttrEq, true)))
			require.Equal(t, []string{"Bob"}, list(attr("vip", store.AttrNe, true)))
			require.Equal(t, []string{"Cid", "Bob", "Ann"}, list(attr("age", store.AttrExists, nil)))
			require.Equal(t, []string{"Ann"}, list(attr("address.city", store.AttrEq, "Berlin")))

			sub := func(state string) func(p *store.ContactListParams) {
				return func(p *store.ContactListParams) {
					p.Subscriptions = []store.SubscriptionFilter{{Channel: "email", State: state}}
				}
			}
			require.Equal(t, []string{"Ann"}, list(sub(domain.SubscriptionSubscribed)))
			require.Equal(t, []string{"Bob"}, list(sub(domain.SubscriptionUnsubscribed)))
			require.Equal(t, []string{"Dee", "Cid"}, list(sub(domain.SubscriptionNever)), "never matches a channel never recorded")

			require.Equal(t, []string{"Ann"}, list(func(p *store.ContactListParams) { p.Search = "AN" }))
			require.Equal(t, []string{"Bob"}, list(func(p *store.ContactListParams) { p.Search = "bob@EXAMPLE" }))
			require.Equal(t, []string{"Dee"}, list(func(p *store.ContactListParams) { p.Search = "100%" }), "wildcards are literal")
			require.Empty(t, list(func(p *store.ContactListParams) { p.Search = "_" }))

			after, before := now.Add(-150*time.Minute), now.Add(-90*time.Minute)
			require.Equal(t, []string{"Bob"}, list(func(p *store.ContactListParams) { p.LastSeenAfter, p.LastSeenBefore = &after, &before }))
			future := now.Add(time.Hour)
			require.Empty(t, list(func(p *store.ContactListParams) { p.CreatedAfter = &future }))
			require.Len(t, list(func(p *store.ContactListParams) { p.CreatedBefore = &future }), 4)

			// Combined filters are ANDed.
			require.Equal(t, []string{"Ann"}, list(func(p *store.ContactListParams) {
				p.Attributes = []store.AttributeFilter{{Key: "plan", Op: store.AttrEq, Value: "pro"}, {Key: "age", Op: store.AttrExists}}
				p.Subscriptions = []store.SubscriptionFilter{{Channel: "email", State: "subscribed"}}
			}))
			// An invalid key is refused before any SQL.
			err := f.s.Read(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.ContactList(f.ctx, &store.ContactListParams{TenantID: f.tenantA.ID,
					Attributes: []store.AttributeFilter{{Key: `a"b`, Op: store.AttrEq, Value: "x"}}})
				return err
			})
			require.Error(t, err)
		}},
		{"ContactList/Pagination", func(t *testing.T, f *fixture) {
			for i := range 7 {
				f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp(fmt.Sprint("p", i)), Name: strp(fmt.Sprint(i))})
			}
			var all []string
			var after *store.ContactCursor
			for range 10 {
				var page []domain.Contact
				f.read(t, f.tenantA.ID, func(tx store.Tx) {
					var err error
					page, err = tx.ContactList(f.ctx, &store.ContactListParams{TenantID: f.tenantA.ID, After: after, Limit: 3})
					require.NoError(t, err)
				})
				for _, c := range page {
					all = append(all, c.Name)
				}
				if len(page) < 3 {
					break
				}
				last := page[len(page)-1]
				after = &store.ContactCursor{CreatedAt: last.CreatedAt, ID: last.ID}
			}
			require.Equal(t, []string{"6", "5", "4", "3", "2", "1", "0"}, all)
		}},
		{"ContactTimeline", func(t *testing.T, f *fixture) {
			c, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("tl")})
			other, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("tl-other")})
			ch := f.newChain(t, f.tenantA.ID)
			base := ts().Add(-time.Hour)
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.EventInsertMany(f.ctx, &store.EventInsertManyParams{TenantID: f.tenantA.ID, Events: []store.EventInsert{
					{ContactID: c.ID, Name: "signed_up", Properties: json.RawMessage(`{"plan":"pro"}`), OccurredAt: base, MessageID: "m1"},
					{ContactID: other.ID, Name: "not_mine", OccurredAt: base, MessageID: "m2"},
				}})
				require.NoError(t, err)
			})
			finished := base.Add(3 * time.Minute)
			e := f.newExecution(t, ch.v, func(p *store.ExecutionInsertParams) {
				p.ContactID = &c.ID
				p.Status = domain.ExecutionCompleted
				p.FinishedAt = &finished
			})
			f.newStep(t, e, 1, "start", domain.StepCompleted)
			f.newExecution(t, ch.v, func(p *store.ExecutionInsertParams) { p.ContactID = &other.ID })

			var all []store.TimelineItem
			var before *store.TimelineCursor
			for range 10 {
				var page []store.TimelineItem
				f.read(t, f.tenantA.ID, func(tx store.Tx) {
					var err error
					page, err = tx.ContactTimeline(f.ctx, &store.ContactTimelineParams{TenantID: f.tenantA.ID, ContactID: c.ID, Before: before, Limit: 2})
					require.NoError(t, err)
				})
				all = append(all, page...)
				if len(page) < 2 {
					break
				}
				last := page[len(page)-1]
				before = &store.TimelineCursor{At: last.At, Kind: last.Kind, ID: last.ID}
			}
			var kinds []string
			for _, it := range all {
				kinds = append(kinds, it.Kind)
			}
			// The execution and its step were created now, after the event
			// (an hour ago) and the exit (finished_at, set by hand to
			// three minutes after it).
			require.Len(t, all, 4, "%v", kinds)
			require.Equal(t, store.TimelineEvent, all[3].Kind)
			require.Equal(t, "signed_up", all[3].Name)
			requireJSON(t, `{"plan":"pro"}`, all[3].Data)
			require.True(t, base.Equal(all[3].At))
			require.Equal(t, store.TimelineJourneyExited, all[2].Kind)
			require.Equal(t, string(domain.ExecutionCompleted), all[2].Status)
			require.Equal(t, "Welcome", all[2].Name)
			require.Equal(t, &e.ID, all[2].ExecutionID)
			require.Equal(t, &ch.wf.ID, all[2].WorkflowID)
			require.ElementsMatch(t, []string{store.TimelineJourneyEntered, store.TimelineStep}, kinds[:2])
			for i := 1; i < len(all); i++ {
				require.False(t, all[i].At.After(all[i-1].At), "newest first")
			}
			// Another tenant's view of the contact is empty.
			f.read(t, f.tenantB.ID, func(tx store.Tx) {
				items, err := tx.ContactTimeline(f.ctx, &store.ContactTimelineParams{TenantID: f.tenantB.ID, ContactID: c.ID, Limit: 10})
				require.NoError(t, err)
				require.Empty(t, items)
			})
		}},
		{"ContactErase", func(t *testing.T, f *fixture) {
			c, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("gone"), Email: strp("gone@example.com")})
			other, _ := f.upsertContact(t, &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("stays")})
			ch := f.newChain(t, f.tenantA.ID)
			running := f.newExecution(t, ch.v, func(p *store.ExecutionInsertParams) {
				p.ContactID = &c.ID
				p.Status = domain.ExecutionWaiting
				p.Context = json.RawMessage(`{"contact":{"email":"gone@example.com"}}`)
			})
			done := f.newExecution(t, ch.v, func(p *store.ExecutionInsertParams) {
				p.ContactID = &c.ID
				p.Status = domain.ExecutionCompleted
				p.Context = json.RawMessage(`{"contact":{"email":"gone@example.com"}}`)
			})
			kept := f.newExecution(t, ch.v, func(p *store.ExecutionInsertParams) { p.ContactID = &other.ID })
			f.newStep(t, running, 1, "start", domain.StepWaiting)
			f.newStep(t, done, 1, "start", domain.StepCompleted)
			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.WaitInsert(f.ctx, &store.WaitInsertParams{TenantID: f.tenantA.ID, ExecutionID: running.ID, NodeID: "start",
					Token: running.Token, EventName: "x", ContactID: &c.ID})
				require.NoError(t, err)
			})

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.EventInsertMany(f.ctx, &store.EventInsertManyParams{TenantID: f.tenantA.ID, Events: []store.EventInsert{
					{ContactID: c.ID, Name: "private", MessageID: "gone-1"}, {ContactID: other.ID, Name: "kept", MessageID: "stays-1"}}})
				require.NoError(t, err)
			})
			// Another tenant cannot erase it.
			err := f.s.InTx(f.ctx, f.tenantB.ID, func(tx store.Tx) error {
				_, err := tx.ContactErase(f.ctx, f.tenantB.ID, c.ID, ts())
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)

			f.in(t, f.tenantA.ID, func(tx store.Tx) {
				res, err := tx.ContactErase(f.ctx, f.tenantA.ID, c.ID, ts())
				require.NoError(t, err)
				require.Equal(t, &store.ContactErasure{Executions: 2, Cancelled: 1}, res)
			})
			f.read(t, f.tenantA.ID, func(tx store.Tx) {
				_, err := tx.ContactGetByID(f.ctx, f.tenantA.ID, c.ID)
				require.ErrorIs(t, err, store.ErrNotFound)
				_, err = tx.ContactGetByEmail(f.ctx, f.tenantA.ID, "gone@example.com")
				require.ErrorIs(t, err, store.ErrNotFound)
				r, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, running.ID)
				require.NoError(t, err)
				require.Equal(t, domain.ExecutionCancelled, r.Status)
				require.Nil(t, r.ContactID)
				require.Greater(t, r.Token, running.Token)
				require.NotContains(t, string(r.Context), "gone@")
				d, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, done.ID)
				require.NoError(t, err)
				require.Equal(t, domain.ExecutionCompleted, d.Status, "statuses stay, so counts do")
				require.Nil(t, d.ContactID)
				require.NotContains(t, string(d.Context), "gone@")
				steps, err := tx.StepListByExecution(f.ctx, f.tenantA.ID, done.ID)
				require.NoError(t, err)
				require.Len(t, steps, 1)
				require.Empty(t, steps[0].Input)
				steps, err = tx.StepListByExecution(f.ctx, f.tenantA.ID, running.ID)
				require.NoError(t, err)
				require.Equal(t, domain.StepCancelled, steps[0].Status)
				waits, err := tx.WaitListByEvent(f.ctx, &store.WaitListByEventParams{TenantID: f.tenantA.ID, EventName: "x", ContactID: &c.ID, Limit: 10})
				require.NoError(t, err)
				require.Empty(t, waits)
				evs, err := tx.EventList(f.ctx, &store.EventListParams{TenantID: f.tenantA.ID, Limit: 10})
				require.NoError(t, err)
				require.Len(t, evs, 1, "the contact's events went with it")
				require.Equal(t, "kept", evs[0].Name)
				k, err := tx.ExecutionGetByID(f.ctx, f.tenantA.ID, kept.ID)
				require.NoError(t, err)
				require.Equal(t, &other.ID, k.ContactID)
				_, err = tx.ContactGetByID(f.ctx, f.tenantA.ID, other.ID)
				require.NoError(t, err)
			})
			err = f.s.InTx(f.ctx, f.tenantA.ID, func(tx store.Tx) error {
				_, err := tx.ContactErase(f.ctx, f.tenantA.ID, c.ID, ts())
				return err
			})
			require.ErrorIs(t, err, store.ErrNotFound)
		}},
	}
}

// contactLookupCase checks a look-up by a non-unique field (phone, PSID):
// of two contacts of tenant A sharing value, the older is returned; a
// cleared field no longer matches; tenant B does not see A's contacts and
// finds its own; an unknown value is ErrNotFound.
func contactLookupCase(t *testing.T, f *fixture, set func(p *store.ContactUpsertParams, v string),
	get func(tx store.Tx, tenant uuid.UUID, v string) (*domain.Contact, error), value, unknown string) {
	t.Helper()
	lookup := func(tenant uuid.UUID, v string) (*domain.Contact, error) {
		var c *domain.Contact
		var err error
		f.read(t, tenant, func(tx store.Tx) { c, err = get(tx, tenant, v) })
		return c, err
	}
	p := &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("first"), Name: strp("First")}
	set(p, value)
	first, _ := f.upsertContact(t, p)
	p = &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: strp("second"), Name: strp("Second")}
	set(p, value)
	second, _ := f.upsertContact(t, p)
	older := first
	if second.CreatedAt.Before(first.CreatedAt) || (second.CreatedAt.Equal(first.CreatedAt) && second.ID.String() < first.ID.String()) {
		older = second
	}

	got, err := lookup(f.tenantA.ID, value)
	require.NoError(t, err)
	require.Equal(t, older.ID, got.ID)

	_, err = lookup(f.tenantA.ID, unknown)
	require.ErrorIs(t, err, store.ErrNotFound)

	// Tenant B sees nothing of A's, then its own contact only.
	_, err = lookup(f.tenantB.ID, value)
	require.ErrorIs(t, err, store.ErrNotFound)
	p = &store.ContactUpsertParams{TenantID: f.tenantB.ID, ExternalID: strp("first"), Name: strp("B")}
	set(p, value)
	b, _ := f.upsertContact(t, p)
	got, err = lookup(f.tenantB.ID, value)
	require.NoError(t, err)
	require.Equal(t, b.ID, got.ID)

	// Clearing the field on the older contact leaves the other one.
	p = &store.ContactUpsertParams{TenantID: f.tenantA.ID, ExternalID: older.ExternalID}
	set(p, "")
	f.upsertContact(t, p)
	got, err = lookup(f.tenantA.ID, value)
	require.NoError(t, err)
	require.NotEqual(t, older.ID, got.ID)
	require.Contains(t, []uuid.UUID{first.ID, second.ID}, got.ID)
}
