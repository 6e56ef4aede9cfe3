package contactimport

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/store"
)

// memChunks is a chunk source over a file cut into pieces of size n.
type memChunks struct{ chunks []*store.ContactImportChunk }

func newMemChunks(file string, n int) memChunks {
	var m memChunks
	for off := 0; off < len(file); off += n {
		end := min(off+n, len(file))
		m.chunks = append(m.chunks, &store.ContactImportChunk{Seq: len(m.chunks), Start: int64(off), Data: []byte(file[off:end])})
	}
	return m
}

func (m memChunks) chunkAt(_ context.Context, offset int64) (*store.ContactImportChunk, error) {
	var found *store.ContactImportChunk
	for _, c := range m.chunks {
		if c.Start <= offset {
			found = c
		}
	}
	if found == nil {
		return nil, store.ErrNotFound
	}
	return found, nil
}

func (m memChunks) chunk(_ context.Context, seq int) (*store.ContactImportChunk, error) {
	if seq >= len(m.chunks) {
		return nil, store.ErrNotFound
	}
	return m.chunks[seq], nil
}

// readAll parses the file from offset on and returns the records with the
// offset after each.
func readAll(t *testing.T, src chunkSource, offset int64) ([][]string, []int64) {
	t.Helper()
	r, err := newChunkReader(context.Background(), src, offset)
	require.NoError(t, err)
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	var recs [][]string
	var ends []int64
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return recs, ends
		}
		require.NoError(t, err)
		recs = append(recs, rec)
		ends = append(ends, r.start+cr.InputOffset())
	}
}

const sample = "externalId,email,note\r\n" +
	"u1,ada@example.com,\"multi\nline, with comma\"\r\n" +
	"u2,bob@example.com,\"quoted \"\"word\"\"\"\r\n" +
	"u3,,plain\n" +
	"\n" +
	"u4,dan@example.com,last"

func TestChunkReaderRowsSpanBorders(t *testing.T) {
	t.Parallel()
	want, wantEnds := readAll(t, newMemChunks(sample, len(sample)), 0)
	require.Len(t, want, 5)
	require.Equal(t, "multi\nline, with comma", want[1][2])
	require.Equal(t, `quoted "word"`, want[2][2])
	for n := 1; n <= len(sample); n++ {
		got, ends := readAll(t, newMemChunks(sample, n), 0)
		require.Equal(t, want, got, "chunk size %d", n)
		require.Equal(t, wantEnds, ends, "chunk size %d", n)
	}
}

func TestChunkReaderResumesAtEveryRowOffset(t *testing.T) {
	t.Parallel()
	all, ends := readAll(t, newMemChunks(sample, len(sample)), 0)
	for n := 1; n <= len(sample); n += 3 {
		src := newMemChunks(sample, n)
		for i, end := range ends {
			got, _ := readAll(t, src, end)
			if len(all[i+1:]) == 0 {
				require.Empty(t, got, "chunk size %d, after row %d", n, i)
				continue
			}
			require.Equal(t, all[i+1:], got, "chunk size %d, after row %d", n, i)
		}
	}
}

func TestChunkReaderEmptyFile(t *testing.T) {
	t.Parallel()
	got, _ := readAll(t, memChunks{}, 0)
	require.Empty(t, got)
}

func TestLayoutDefaultsAndMapping(t *testing.T) {
	t.Parallel()
	header := []string{"User ID", "E-Mail", "Phone Number", "First Name", "last_name", "Time Zone", "locale", "email_subscribed", "Plan", ""}
	l, err := newLayout(header, nil)
	require.NoError(t, err)
	require.Equal(t, []string{FieldExternalID, FieldEmail, FieldPhone, FieldFirstName, FieldLastName, FieldTimezone, FieldLocale,
		"subscriptions.email", "attributes.Plan", Ignore}, l.targets)

	in, err := l.input([]string{" u1 ", "Ada@Example.com", "", "Ada", "Lovelace", "Europe/Berlin", "", "yes", "pro", "x"})
	require.NoError(t, err)
	require.Equal(t, "u1", *in.ExternalID)
	require.Equal(t, "Ada@Example.com", *in.Email)
	require.Nil(t, in.Phone, "an empty cell keeps the stored value")
	require.Nil(t, in.Locale)
	require.Equal(t, "Ada Lovelace", *in.Name)
	require.Equal(t, "subscribed", in.Subscriptions["email"].State)
	require.JSONEq(t, `{"Plan":"pro"}`, string(in.Attributes))

	_, err = l.input([]string{"u1", "a@example.com"})
	require.ErrorContains(t, err, "has 2 fields, the header has 10")
	_, err = l.input([]string{"u1", "", "", "", "", "", "", "maybe", "", ""})
	require.ErrorContains(t, err, "not a subscription state")

	// A mapping renames columns; ignore drops one.
	l, err = newLayout([]string{"Kunde", "Mail", "Plan"}, map[string]string{"Kunde": "externalId", "Mail": "email", "Plan": "ignore"})
	require.NoError(t, err)
	in, err = l.input([]string{"k1", "k@example.com", "pro"})
	require.NoError(t, err)
	require.Equal(t, "k1", *in.ExternalID)
	require.Nil(t, in.Attributes)
	raw, _ := json.Marshal(in)
	require.NotContains(t, string(raw), "pro")
}

func TestLayoutRefusesFiles(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		header  []string
		columns map[string]string
		want    string
	}{
		"no identity":    {[]string{"name", "plan"}, nil, "no externalId or email column"},
		"twice":          {[]string{"email", "email"}, nil, `names column "email" twice`},
		"same target":    {[]string{"email", "E-Mail"}, nil, "both fill email"},
		"missing column": {[]string{"email"}, map[string]string{"Kunde": "externalId"}, `no column "Kunde"`},
	} {
		_, err := newLayout(tc.header, tc.columns)
		var ie *InputError
		require.ErrorAs(t, err, &ie, name)
		require.Contains(t, ie.Message, tc.want, name)
	}
	require.ErrorContains(t, CheckColumns(map[string]string{"x": "bogus"}), `unknown field "bogus"`)
	require.ErrorContains(t, CheckColumns(map[string]string{"x": "subscriptions.E Mail"}), "subscription channel")
	require.NoError(t, CheckColumns(map[string]string{"x": "attributes.plan", "y": "subscriptions.sms"}))
}

func TestDelimiter(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]rune{"": ',', ";": ';', "tab": '\t', `\t`: '\t', "|": '|'} {
		got, err := delimiter(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	for _, bad := range []string{`"`, ";;", "\n"} {
		_, err := delimiter(bad)
		require.Error(t, err, bad)
	}
	require.True(t, strings.HasPrefix(bom, "\ufeff"))
}
