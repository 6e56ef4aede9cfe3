package contactimport_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/contactimport"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/plan"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/storetest"
	"github.com/nextflow-dev/nextflow/internal/usage"
)

var quiet = slog.New(slog.DiscardHandler)

type backend struct {
	name string
	open func(t testing.TB, opts ...storetest.Option) store.Store
}

var backends = []backend{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}}

// openStore opens a store whose queue knows the import job (not started:
// the tests run imports themselves unless they start it).
func openStore(t testing.TB, b backend) (store.Store, *river.Workers) {
	t.Helper()
	workers := river.NewWorkers()
	st := b.open(t, storetest.WithQueue(store.QueueConfig{Workers: workers}))
	contactimport.New(st, contactimport.Options{Logger: quiet}).RegisterWorkers(workers)
	return st, workers
}

// each runs fn on both backends, in parallel.
func each(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st, _ := openStore(t, b)
			fn(t, st)
		})
	}
}

func newTenant(t testing.TB, st store.Store) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	require.NoError(t, st.InTx(context.Background(), uuid.Nil, func(tx store.Tx) error {
		ten, err := tx.TenantInsert(context.Background(), &store.TenantInsertParams{Name: "Acme", Slug: "acme-" + domain.NewID().String()[:8], Plan: domain.PlanPro})
		if err != nil {
			return err
		}
		id = ten.ID
		return nil
	}))
	return id
}

func getImport(t testing.TB, svc *contactimport.Service, tenantID, id uuid.UUID) *domain.ContactImport {
	t.Helper()
	imp, err := svc.Get(context.Background(), tenantID, id)
	require.NoError(t, err)
	return imp
}

func contactByExternalID(t testing.TB, st store.Store, tenantID uuid.UUID, ext string) *domain.Contact {
	t.Helper()
	var c *domain.Contact
	require.NoError(t, st.Read(context.Background(), tenantID, func(tx store.Tx) error {
		var err error
		c, err = tx.ContactGetByExternalID(context.Background(), tenantID, ext)
		return err
	}), ext)
	return c
}

func countContacts(t testing.TB, st store.Store, tenantID uuid.UUID) int {
	t.Helper()
	n := 0
	var after *store.ContactCursor
	for {
		var page []domain.Contact
		require.NoError(t, st.Read(context.Background(), tenantID, func(tx store.Tx) error {
			var err error
			page, err = tx.ContactList(context.Background(), &store.ContactListParams{TenantID: tenantID, After: after, Limit: 500})
			return err
		}))
		n += len(page)
		if len(page) < 500 {
			return n
		}
		last := page[len(page)-1]
		after = &store.ContactCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

// mixed is a file of good and bad rows; its row numbers (header = 1) are
// those a spreadsheet shows, except that row 4 spans two lines.
const mixed = "externalId,email,phone,name,Time Zone,email_subscribed,plan\n" +
	"u1,Ada@Example.com,+49 151 1234 5678,Ada,Europe/Berlin,yes,pro\n" + // 2
	"u2,not-an-email,,Bob,,,free\n" + // 3: bad email
	"u3,cy@example.com,,Cy,,no,\"multi\nline, \"\"quoted\"\"\"\n" + // 4: a cell across lines
	"u4,,12,Dee,,,\n" + // 5: bad phone
	",,,Nobody,,,\n" + // 6: neither id nor email
	"u5,eve@example.com,,Eve,Mars/Olympus,,\n" + // 7: bad timezone
	"u6,fay@example.com\n" + // 8: too few fields
	",gus@example.com,,Gus,,maybe,\n" + // 9: bad subscription
	"u1,,,Ada Lovelace,,,enterprise\n" + // 10: updates u1
	"u7,ada@example.com,,Imposter,,,\n" + // 11: ada's email is u1's
	",hal@example.com,,Hal,,,\n" // 12: by email only

func TestImportGoodAndBadRows(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		tenant := newTenant(t, st)
		// Tiny chunks and batches: rows cross chunk borders and batches.
		svc := contactimport.New(st, contactimport.Options{Logger: quiet, ChunkBytes: 7, BatchRows: 3})
		imp, err := svc.Upload(ctx, &contactimport.UploadParams{TenantID: tenant, Filename: "mixed.csv", Body: strings.NewReader(mixed)})
		require.NoError(t, err)
		require.Equal(t, domain.ContactImportPending, imp.Status)
		require.Equal(t, int64(11), imp.TotalRows)
		require.Equal(t, int64(len(mixed)), imp.TotalBytes)
		require.Equal(t, "mixed.csv", imp.Filename)
		require.Equal(t, []string{"externalId", "email", "phone", "name", "Time Zone", "email_subscribed", "plan"}, imp.Header)

		require.NoError(t, svc.Run(ctx, tenant, imp.ID))
		imp = getImport(t, svc, tenant, imp.ID)
		require.Equal(t, domain.ContactImportCompleted, imp.Status, imp.Error)
		require.Equal(t, int64(11), imp.RowsDone)
		require.Equal(t, int64(7), imp.RowsFailed)
		require.Equal(t, int64(3), imp.RowsCreated, "u1, u3, hal")
		require.Equal(t, int64(1), imp.RowsUpdated, "u1 again")
		require.Equal(t, imp.TotalBytes, imp.BytesDone)
		require.NotNil(t, imp.StartedAt)
		require.NotNil(t, imp.FinishedAt)

		errs, err := svc.Errors(ctx, tenant, imp.ID, 0, 100)
		require.NoError(t, err)
		rows := make([]int64, 0, len(errs))
		msgs := map[int64]string{}
		for _, e := range errs {
			rows = append(rows, e.Row)
			msgs[e.Row] = e.Message
		}
		require.Equal(t, []int64{3, 5, 6, 7, 8, 9, 11}, rows)
		require.Contains(t, msgs[3], "email")
		require.Contains(t, msgs[5], "phone")
		require.Contains(t, msgs[6], "externalId or an email")
		require.Contains(t, msgs[7], "timezone")
		require.Contains(t, msgs[8], "has 2 fields, the header has 7")
		require.Contains(t, msgs[9], "not a subscription state")
		require.Contains(t, msgs[11], "email belongs to another contact")

		u1 := contactByExternalID(t, st, tenant, "u1")
		require.Equal(t, "ada@example.com", *u1.Email)
		require.Equal(t, "+4915112345678", *u1.Phone)
		require.Equal(t, "Ada Lovelace", u1.Name)
		require.Equal(t, "Europe/Berlin", u1.Timezone)
		require.JSONEq(t, `{"plan":"enterprise"}`, string(u1.Attributes))
		require.Equal(t, domain.SubscriptionSubscribed, u1.Subscriptions["email"].State)
		require.Equal(t, "import", u1.Subscriptions["email"].Source)
		u3 := contactByExternalID(t, st, tenant, "u3")
		require.Equal(t, "Cy", u3.Name)
		require.JSONEq(t, `{"plan":"multi\nline, \"quoted\""}`, string(u3.Attributes))
		require.Equal(t, domain.SubscriptionUnsubscribed, u3.Subscriptions["email"].State)
		require.Equal(t, 3, countContacts(t, st, tenant))

		// The file is gone once the import has ended.
		require.NoError(t, st.Read(ctx, tenant, func(tx store.Tx) error {
			_, err := tx.ContactImportChunkGet(ctx, tenant, imp.ID, 0)
			require.ErrorIs(t, err, store.ErrNotFound)
			return nil
		}))
		// Running it again does nothing.
		require.NoError(t, svc.Run(ctx, tenant, imp.ID))
		require.Equal(t, imp.UpdatedAt, getImport(t, svc, tenant, imp.ID).UpdatedAt)
	})
}

func TestUploadRefusesBadFiles(t *testing.T) {
	t.Parallel()
	st, _ := openStore(t, backends[0])
	ctx := context.Background()
	tenant := newTenant(t, st)
	svc := contactimport.New(st, contactimport.Options{Logger: quiet, ChunkBytes: 8, MaxFileBytes: 200})
	for name, tc := range map[string]struct {
		body    string
		columns map[string]string
		delim   string
		want    string
		large   bool
	}{
		"empty":       {body: "", want: "the file is empty"},
		"no identity": {body: "name,plan\nAda,pro\n", want: "no externalId or email column"},
		"binary":      {body: "email\n\x00\x01\x02\xff\xfe\n", want: "row 2: not valid UTF-8"},
		"nul":         {body: "email\na\x00b@example.com\n", want: "row 2: contains a NUL"},
		"bad quote":   {body: "email,name\na@example.com,\"Ada\n", want: "not valid CSV at row 2"},
		"bare quote":  {body: "email,name\na@example.com,Ad\"a\n", want: "not valid CSV at row 2"},
		"too large":   {body: "email\n" + strings.Repeat("a@example.com\n", 20), large: true, want: "larger than the upload limit"},
		"bad mapping": {body: "Mail\nx@example.com\n", columns: map[string]string{"Mail": "e-mail"}, want: `unknown field "e-mail"`},
		"no column":   {body: "email\nx@example.com\n", columns: map[string]string{"Mail": "email"}, want: `no column "Mail"`},
		"delimiter":   {body: "email\nx@example.com\n", delim: ";;", want: "want one character"},
	} {
		_, err := svc.Upload(ctx, &contactimport.UploadParams{TenantID: tenant, Body: strings.NewReader(tc.body), Columns: tc.columns, Delimiter: tc.delim})
		var ie *contactimport.InputError
		require.ErrorAs(t, err, &ie, name)
		require.Contains(t, ie.Message, tc.want, name)
		require.Equal(t, tc.large, ie.TooLarge, name)
	}
	// One row may not fill the memory (the CSV reader holds a row).
	huge := "email\n\"" + strings.Repeat("x\n", contactimport.MaxRowBytes) + "\"\n"
	_, err := contactimport.New(st, contactimport.Options{Logger: quiet}).Upload(ctx,
		&contactimport.UploadParams{TenantID: tenant, Body: strings.NewReader(huge)})
	require.ErrorContains(t, err, "larger than 1048576 bytes")
	// Nothing of the refused uploads is kept.
	list, err := svc.List(ctx, tenant, uuid.Nil, 50)
	require.NoError(t, err)
	require.Empty(t, list)

	// A file of exactly the limit, a semicolon file with a BOM and a mapping.
	body := "\ufeffKunde;Mail\nk1;k1@example.com\n"
	imp, err := svc.Upload(ctx, &contactimport.UploadParams{TenantID: tenant, Body: strings.NewReader(body), Delimiter: ";",
		Columns: map[string]string{"Kunde": "externalId", "Mail": "email"}})
	require.NoError(t, err)
	require.Equal(t, []string{"Kunde", "Mail"}, imp.Header)
	require.NoError(t, svc.Run(ctx, tenant, imp.ID))
	require.Equal(t, "k1@example.com", *contactByExternalID(t, st, tenant, "k1").Email)
	exact := "email\n" + strings.Repeat("a@example.com\n", (200-6)/14)
	exact += strings.Repeat("\n", 200-len(exact))
	_, err = svc.Upload(ctx, &contactimport.UploadParams{TenantID: tenant, Body: strings.NewReader(exact)})
	require.NoError(t, err)
}

// gen is a generated CSV file of n contacts, produced as it is read (the
// test never holds the file either).
type gen struct {
	n, next int
	buf     []byte
	width   int
}

func newGen(n, width int) *gen {
	g := &gen{n: n, width: width}
	g.buf = []byte("externalId,email,name,plan,notes\n")
	return g
}

func (g *gen) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.next < g.n {
		i := g.next
		g.next++
		g.buf = fmt.Appendf(g.buf, "u%d,user%d@example.com,User %d,%s,%q\n", i, i, i, []string{"free", "pro", "biz"}[i%3],
			strings.Repeat("x", g.width))
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	if len(g.buf) == 0 {
		g.buf = g.buf[:0:0]
	}
	return n, nil
}

func TestImportResumesAfterCrash(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, st store.Store) {
		tenant := newTenant(t, st)
		const rows = 95
		// The first worker stops (as if its process died) right after its
		// first batch has committed.
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		first := contactimport.New(st, contactimport.Options{Logger: quiet, ChunkBytes: 1000, BatchRows: 20,
			AfterBatch: func(*domain.ContactImport) { stop() }})
		imp, err := first.Upload(context.Background(), &contactimport.UploadParams{TenantID: tenant, Body: newGen(rows, 10)})
		require.NoError(t, err)
		require.Equal(t, int64(rows), imp.TotalRows)
		require.ErrorIs(t, first.Run(ctx, tenant, imp.ID), context.Canceled)
		mid := getImport(t, first, tenant, imp.ID)
		require.Equal(t, domain.ContactImportRunning, mid.Status)
		require.Equal(t, int64(20), mid.RowsDone)
		require.Equal(t, 20, countContacts(t, st, tenant))

		// Another worker resumes from the checkpoint.
		second := contactimport.New(st, contactimport.Options{Logger: quiet, BatchRows: 20})
		require.NoError(t, second.Run(context.Background(), tenant, imp.ID))
		done := getImport(t, second, tenant, imp.ID)
		require.Equal(t, domain.ContactImportCompleted, done.Status, done.Error)
		require.Equal(t, int64(rows), done.RowsDone)
		require.Equal(t, int64(rows), done.RowsCreated, "no row imported twice")
		require.Zero(t, done.RowsUpdated)
		require.Zero(t, done.RowsFailed)
		require.Equal(t, rows, countContacts(t, st, tenant))
		for _, ext := range []string{"u0", "u19", "u20", "u94"} {
			contactByExternalID(t, st, tenant, ext)
		}
	})
}

func TestImportCancel(t *testing.T) {
	t.Parallel()
	st, _ := openStore(t, backends[0])
	tenant := newTenant(t, st)
	var svc *contactimport.Service
	svc = contactimport.New(st, contactimport.Options{Logger: quiet, BatchRows: 10, AfterBatch: func(imp *domain.ContactImport) {
		if imp.RowsDone == 10 {
			_, err := svc.Cancel(context.Background(), imp.TenantID, imp.ID)
			require.NoError(t, err)
		}
	}})
	imp, err := svc.Upload(context.Background(), &contactimport.UploadParams{TenantID: tenant, Body: newGen(50, 1)})
	require.NoError(t, err)
	require.NoError(t, svc.Run(context.Background(), tenant, imp.ID))
	got := getImport(t, svc, tenant, imp.ID)
	require.Equal(t, domain.ContactImportCancelled, got.Status)
	require.Equal(t, int64(10), got.RowsDone)
	require.Equal(t, 10, countContacts(t, st, tenant))
}

// TestImportJobOnRiver runs the import as River works it, on both
// backends, from upload to completion.
func TestImportJobOnRiver(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st, _ := openStore(t, b)
			svc := contactimport.New(st, contactimport.Options{Logger: quiet, BatchRows: 50})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			require.NoError(t, st.Queue().Start(ctx))
			defer func() { _ = st.Queue().Stop(context.Background()) }()
			tenant := newTenant(t, st)
			imp, err := svc.Upload(ctx, &contactimport.UploadParams{TenantID: tenant, Body: newGen(300, 5)})
			require.NoError(t, err)
			require.Eventually(t, func() bool {
				return getImport(t, svc, tenant, imp.ID).Status == domain.ContactImportCompleted
			}, 60*time.Second, 50*time.Millisecond)
			require.Equal(t, 300, countContacts(t, st, tenant))
		})
	}
}

// TestImportLargeFileHeap imports a generated file much larger than the
// memory an import may use and samples the heap throughout. It is not
// parallel: other tests' allocations would count against it (Go runs it
// alone before the parallel tests resume). By default it imports 30000
// rows of about 2 KB (a 60 MB file) into SQLite; NEXTFLOW_IMPORT_ROWS and
// NEXTFLOW_IMPORT_WIDTH (bytes of filler per row) change the file and
// NEXTFLOW_IMPORT_DB the backends ("sqlite,postgres"), e.g. 1000000 rows
// of width 100 for the figures in the README. Speed is logged, never
// asserted.
func TestImportLargeFileHeap(t *testing.T) { //nolint:paralleltest // measures the heap alone
	rows, width := 30_000, 2000
	for name, p := range map[string]*int{"NEXTFLOW_IMPORT_ROWS": &rows, "NEXTFLOW_IMPORT_WIDTH": &width} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			require.NoError(t, err, name)
			*p = n
		}
	}
	dbs := "sqlite"
	if v := os.Getenv("NEXTFLOW_IMPORT_DB"); v != "" {
		dbs = v
	}
	for _, b := range backends {
		if !strings.Contains(dbs, b.name) {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			st, _ := openStore(t, b)
			tenant := newTenant(t, st)
			var runStart time.Time
			svc := contactimport.New(st, contactimport.Options{Logger: quiet, AfterBatch: func(imp *domain.ContactImport) {
				if imp.RowsDone%100_000 == 0 {
					t.Logf("%s: %d rows in %s (%.0f rows/s)", b.name, imp.RowsDone, time.Since(runStart).Round(time.Second),
						float64(imp.RowsDone)/time.Since(runStart).Seconds())
				}
			}})
			ctx := context.Background()

			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc
			var peak atomic.Uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				tick := time.NewTicker(20 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						var m runtime.MemStats
						runtime.ReadMemStats(&m)
						if m.HeapAlloc > peak.Load() {
							peak.Store(m.HeapAlloc)
						}
					}
				}
			}()

			body := newGen(rows, width)
			start := time.Now()
			imp, err := svc.Upload(ctx, &contactimport.UploadParams{TenantID: tenant, Body: body})
			require.NoError(t, err)
			uploaded := time.Since(start)
			start = time.Now()
			runStart = start
			require.NoError(t, svc.Run(ctx, tenant, imp.ID))
			imported := time.Since(start)
			close(stop)
			<-sampled

			imp = getImport(t, svc, tenant, imp.ID)
			require.Equal(t, domain.ContactImportCompleted, imp.Status, imp.Error)
			require.Equal(t, int64(rows), imp.RowsCreated)
			grew := int64(peak.Load()) - int64(base)
			t.Logf("%s: %d rows, %.1f MiB file: upload %s, import %s (%.0f rows/s); heap peak %.1f MiB above the %.1f MiB before",
				b.name, rows, float64(imp.TotalBytes)/(1<<20), uploaded.Round(time.Millisecond), imported.Round(time.Millisecond),
				float64(rows)/imported.Seconds(), float64(grew)/(1<<20), float64(base)/(1<<20))
			// The file never is in memory: the heap grows by a small part
			// of it (a chunk, a batch, the garbage between collections).
			require.Less(t, grew, imp.TotalBytes/3, "heap grew by %d bytes for a %d-byte file", grew, imp.TotalBytes)
		})
	}
}

// A FREE workspace two contacts short of its limit imports a file: rows
// updating contacts and the first two new contacts are imported, rows
// that would create more are refused with the limit, and the import
// completes.
func TestImportStopsNewContactsAtThePlanLimit(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		tenant := newTenant(t, st)
		meter := usage.New(st, usage.Options{})
		free, _ := plan.For(domain.PlanFree)
		ps := make([]*store.ContactUpsertParams, free.Contacts-2)
		for i := range ps {
			ext := fmt.Sprintf("old-%d", i)
			ps[i] = &store.ContactUpsertParams{TenantID: tenant, ExternalID: &ext}
		}
		require.NoError(t, st.InTx(ctx, tenant, func(tx store.Tx) error {
			if _, err := meter.SetPlan(ctx, tx, tenant, domain.PlanFree); err != nil {
				return err
			}
			_, err := tx.ContactUpsertMany(ctx, ps)
			return err
		}))
		svc := contactimport.New(st, contactimport.Options{Logger: quiet, BatchRows: 3, ContactQuota: meter.Contacts})
		file := "externalId,name\n" +
			"old-1,Old One\n" + // 2: update
			"n1,New One\n" + // 3: new, fits
			"n2,New Two\n" + // 4: new, fits
			"n3,New Three\n" + // 5: past the limit
			"old-2,Old Two\n" + // 6: update
			"n4,New Four\n" + // 7: past the limit
			"n1,New One Again\n" // 8: update
		imp, err := svc.Upload(ctx, &contactimport.UploadParams{TenantID: tenant, Filename: "f.csv", Body: strings.NewReader(file)})
		require.NoError(t, err)
		require.NoError(t, svc.Run(ctx, tenant, imp.ID))
		imp = getImport(t, svc, tenant, imp.ID)
		require.Equal(t, domain.ContactImportCompleted, imp.Status, imp.Error)
		require.Equal(t, int64(7), imp.RowsDone)
		require.Equal(t, int64(2), imp.RowsCreated)
		require.Equal(t, int64(3), imp.RowsUpdated)
		require.Equal(t, int64(2), imp.RowsFailed)
		errs, err := svc.Errors(ctx, tenant, imp.ID, 0, 100)
		require.NoError(t, err)
		require.Len(t, errs, 2)
		require.Equal(t, int64(5), errs[0].Row)
		require.Equal(t, int64(7), errs[1].Row)
		require.Contains(t, errs[0].Message, fmt.Sprintf("plan FREE allows %d contacts", free.Contacts))
		require.Equal(t, free.Contacts, countContacts(t, st, tenant))
		require.Equal(t, "New One Again", contactByExternalID(t, st, tenant, "n1").Name)
	})
}
