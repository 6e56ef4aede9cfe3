package api

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const importCSV = "externalId,email,name,plan\n" +
	"c1,c1@example.com,One,pro\n" +
	"c2,not-an-email,Two,free\n" +
	"c3,c3@example.com,Three,\n" +
	",,Nobody,\n"

func (a *testAPI) uploadCSV(acc *account, query, body string) *response {
	a.t.Helper()
	return a.do(http.MethodPost, Prefix+"/contact-imports"+query, body, creds{Cookie: acc.Cookie}, "Content-Type", "text/csv")
}

func TestContactImportAPI(t *testing.T) {
	t.Parallel()
	eachFull(t, func(t *testing.T, a *testAPI) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		require.NoError(t, a.st.Queue().Start(ctx))
		defer func() { _ = a.st.Queue().Stop(context.Background()) }()
		acc := a.signup("importer@example.com", "Importers")

		r := a.uploadCSV(acc, "?filename=people.csv", importCSV)
		require.Equal(t, http.StatusAccepted, r.Status, r.short())
		var imp ContactImportDTO
		r.JSON(t, &imp)
		require.Equal(t, "pending", imp.Status)
		require.Equal(t, "people.csv", imp.Filename)
		require.Equal(t, int64(4), imp.TotalRows)
		require.Equal(t, []string{"externalId", "email", "name", "plan"}, imp.Header)

		// Poll the progress until the job is done.
		path := Prefix + "/contact-imports/" + imp.ID.String()
		require.Eventually(t, func() bool {
			r := a.do(http.MethodGet, path, nil, creds{Cookie: acc.Cookie})
			require.Equal(t, http.StatusOK, r.Status, r.short())
			r.JSON(t, &imp)
			return imp.Status == "completed"
		}, 30*time.Second, 50*time.Millisecond)
		require.Equal(t, int64(4), imp.RowsDone)
		require.Equal(t, int64(2), imp.RowsCreated)
		require.Equal(t, int64(2), imp.RowsFailed)
		require.InDelta(t, 1.0, imp.Progress, 0)
		require.Len(t, imp.Errors, 2)
		require.Equal(t, int64(3), imp.Errors[0].Row)
		require.Contains(t, imp.Errors[0].Message, "email")
		require.Equal(t, int64(5), imp.Errors[1].Row)

		r = a.do(http.MethodGet, path+"/errors?after=3&limit=1", nil, creds{Cookie: acc.Cookie})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		var errs ContactImportErrorsDTO
		r.JSON(t, &errs)
		require.Len(t, errs.Items, 1)
		require.Equal(t, int64(5), errs.Items[0].Row)
		require.Zero(t, errs.NextAfter)

		// A multipart form with a mapping and another delimiter.
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		fw, err := mw.CreateFormFile("file", "kunden.csv")
		require.NoError(t, err)
		_, _ = fw.Write([]byte("Kunde;Mail\nk1;k1@example.com\n"))
		require.NoError(t, mw.Close())
		q := "?delimiter=%3B&columns=" + url.QueryEscape(`{"Kunde":"externalId","Mail":"email"}`)
		r = a.do(http.MethodPost, Prefix+"/contact-imports"+q, form.Bytes(), creds{Cookie: acc.Cookie}, "Content-Type", mw.FormDataContentType())
		require.Equal(t, http.StatusAccepted, r.Status, r.short())
		var second ContactImportDTO
		r.JSON(t, &second)
		require.Equal(t, "kunden.csv", second.Filename)
		require.Equal(t, ";", second.Delimiter)
		require.Equal(t, int64(1), second.TotalRows)

		r = a.do(http.MethodGet, Prefix+"/contact-imports?limit=1", nil, creds{Cookie: acc.Cookie})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		var list ContactImportListDTO
		r.JSON(t, &list)
		require.Len(t, list.Items, 1)
		require.Equal(t, second.ID, list.Items[0].ID)
		require.Equal(t, second.ID.String(), list.NextCursor)
		r = a.do(http.MethodGet, Prefix+"/contact-imports?limit=1&cursor="+list.NextCursor, nil, creds{Cookie: acc.Cookie})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		list = ContactImportListDTO{}
		r.JSON(t, &list)
		require.Len(t, list.Items, 1)
		require.Equal(t, imp.ID, list.Items[0].ID)

		// Bad files and options: a 4xx that says what was wrong.
		for _, tc := range []struct {
			query, body, contentType string
			status                   int
			detail                   string
		}{
			{"", "name,plan\nAda,pro\n", "text/csv", http.StatusUnprocessableEntity, "no externalId or email column"},
			{"", "", "text/csv", http.StatusUnprocessableEntity, "the file is empty"},
			{"", "email\n\x00\x01\xff\n", "text/csv", http.StatusUnprocessableEntity, "not valid UTF-8"},
			{"", "email,name\na@example.com,\"open\n", "text/csv", http.StatusUnprocessableEntity, "not valid CSV"},
			{"", `{"email":"a@example.com"}`, "application/json", http.StatusUnsupportedMediaType, "want text/csv"},
			{"?columns=nope", "email\na@example.com\n", "text/csv", http.StatusUnprocessableEntity, "columns"},
			{"?columns=" + url.QueryEscape(`{"email":"mail"}`), "email\na@example.com\n", "text/csv", http.StatusUnprocessableEntity, "unknown field"},
			{"?delimiter=ab", "email\na@example.com\n", "text/csv", http.StatusUnprocessableEntity, "delimiter"},
		} {
			r := a.do(http.MethodPost, Prefix+"/contact-imports"+tc.query, tc.body, creds{Cookie: acc.Cookie}, "Content-Type", tc.contentType)
			require.Equal(t, tc.status, r.Status, "%q: %s", tc.body, r.short())
			require.Contains(t, string(r.Body), tc.detail, tc.body)
		}
		r = a.do(http.MethodGet, Prefix+"/contact-imports", nil, creds{Cookie: acc.Cookie})
		list = ContactImportListDTO{}
		r.JSON(t, &list)
		require.Len(t, list.Items, 2, "refused uploads leave nothing behind")

		// Another tenant's import is not found, whatever the route.
		other := a.signup("other@example.com", "Others")
		for _, m := range []struct{ method, path string }{
			{http.MethodGet, path}, {http.MethodGet, path + "/errors"}, {http.MethodPost, path + "/cancel"},
		} {
			r := a.do(m.method, m.path, nil, creds{Cookie: other.Cookie})
			require.Equal(t, http.StatusNotFound, r.Status, "%s %s: %s", m.method, m.path, r.short())
		}
		r = a.do(http.MethodGet, Prefix+"/contact-imports", nil, creds{Cookie: other.Cookie})
		list = ContactImportListDTO{}
		r.JSON(t, &list)
		require.Empty(t, list.Items)

		// Cancelling an import that has ended changes nothing.
		r = a.do(http.MethodPost, path+"/cancel", nil, creds{Cookie: acc.Cookie})
		require.Equal(t, http.StatusOK, r.Status, r.short())
		r.JSON(t, &imp)
		require.Equal(t, "completed", imp.Status)
	})
}
