package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/contactimport"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// contactImportsPath is the upload route; its body streams past the
// request body limit and the text check (see uploadBypass).
const contactImportsPath = Prefix + "/contact-imports"

// importMaxBytes is the largest file an upload accepts.
const importMaxBytes = contactimport.DefaultMaxFileBytes

// contactImportErrorsShown is how many refused rows an import's GET shows.
const contactImportErrorsShown = 100

// ContactImportRowErrorDTO is a row an import refused.
type ContactImportRowErrorDTO struct {
	Row     int64  `json:"row" doc:"Row number in the file, the header being row 1"`
	Message string `json:"message"`
}

// ContactImportDTO is a CSV contact import and its progress. The progress
// bar is rowsDone / totalRows: the upload counts the rows, so totalRows is
// exact once the import is pending.
type ContactImportDTO struct {
	ID          uuid.UUID                  `json:"id"`
	Status      string                     `json:"status" enum:"uploading,pending,running,completed,failed,cancelled"`
	Filename    string                     `json:"filename"`
	Delimiter   string                     `json:"delimiter"`
	Columns     map[string]string          `json:"columns,omitempty" doc:"The column mapping the upload named (other columns take the default one)"`
	Header      []string                   `json:"header"`
	TotalBytes  int64                      `json:"totalBytes"`
	TotalRows   int64                      `json:"totalRows" doc:"Data rows in the file (the header not counted)"`
	BytesDone   int64                      `json:"bytesDone"`
	RowsDone    int64                      `json:"rowsDone" doc:"Rows handled, imported or refused"`
	RowsCreated int64                      `json:"rowsCreated"`
	RowsUpdated int64                      `json:"rowsUpdated"`
	RowsFailed  int64                      `json:"rowsFailed" doc:"Rows refused; the first 1000 are kept with their reasons"`
	Progress    float64                    `json:"progress" doc:"rowsDone / totalRows, from 0 to 1"`
	Error       string                     `json:"error,omitempty" doc:"Why a failed import stopped"`
	Errors      []ContactImportRowErrorDTO `json:"errors,omitempty" doc:"The first refused rows (up to 100; GET …/errors pages through all kept)"`
	CreatedBy   *uuid.UUID                 `json:"createdBy,omitempty"`
	CreatedAt   time.Time                  `json:"createdAt"`
	UpdatedAt   time.Time                  `json:"updatedAt"`
	StartedAt   *time.Time                 `json:"startedAt,omitempty"`
	FinishedAt  *time.Time                 `json:"finishedAt,omitempty"`
}

func contactImportDTO(imp *domain.ContactImport, errs []domain.ContactImportRowError) ContactImportDTO {
	d := ContactImportDTO{ID: imp.ID, Status: string(imp.Status), Filename: imp.Filename, Delimiter: imp.Delimiter,
		Columns: imp.Columns, Header: imp.Header, TotalBytes: imp.TotalBytes, TotalRows: imp.TotalRows,
		BytesDone: imp.BytesDone, RowsDone: imp.RowsDone, RowsCreated: imp.RowsCreated, RowsUpdated: imp.RowsUpdated,
		RowsFailed: imp.RowsFailed, Error: imp.Error, CreatedBy: imp.CreatedBy, CreatedAt: imp.CreatedAt,
		UpdatedAt: imp.UpdatedAt, StartedAt: imp.StartedAt, FinishedAt: imp.FinishedAt, Errors: rowErrorDTOs(errs)}
	if d.Header == nil {
		d.Header = []string{}
	}
	switch {
	case imp.Status == domain.ContactImportCompleted:
		d.Progress = 1
	case imp.TotalRows > 0:
		d.Progress = float64(imp.RowsDone) / float64(imp.TotalRows)
	}
	return d
}

func rowErrorDTOs(errs []domain.ContactImportRowError) []ContactImportRowErrorDTO {
	if errs == nil {
		return nil
	}
	out := make([]ContactImportRowErrorDTO, 0, len(errs))
	for _, e := range errs {
		out = append(out, ContactImportRowErrorDTO{Row: e.Row, Message: e.Message})
	}
	return out
}

// ContactImportUploadInput is a CSV file to import: the request body is
// the file (text/csv), or a multipart form whose "file" part is. The body
// is read as a stream, never held whole.
type ContactImportUploadInput struct {
	Filename    string `query:"filename" maxLength:"255" doc:"The file's name, shown in the list (a multipart part's filename is used when this is empty)"`
	Delimiter   string `query:"delimiter" maxLength:"3" doc:"Field separator: one character such as ; or |, or tab (default ,)"`
	Columns     string `query:"columns" maxLength:"16384" doc:"JSON object mapping header names to contact fields: externalId, email, phone, messengerPsid, name, firstName, lastName, timezone, locale, subscriptions.<channel>, attributes.<key> or ignore. Unnamed headers map by name (externalId/userId/id, email, phone, name, first_name/last_name, timezone, locale, <channel>_subscribed); any other column becomes an attribute."`
	ContentType string `header:"Content-Type"`
	body        io.Reader
}

// Resolve takes the request body as a stream (huma reads no body for an
// input without a Body field).
func (in *ContactImportUploadInput) Resolve(ctx huma.Context) []error {
	in.body = ctx.BodyReader()
	// An upload may take longer than the server's read deadline.
	_ = ctx.SetReadDeadline(time.Time{})
	return nil
}

// ContactImportIDInput names an import.
type ContactImportIDInput struct {
	ID uuid.UUID `path:"id"`
}

// ContactImportListInput pages through the imports, newest first.
type ContactImportListInput struct {
	Cursor string `query:"cursor" doc:"nextCursor of the previous page"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// ContactImportErrorsInput pages through an import's refused rows.
type ContactImportErrorsInput struct {
	ID    uuid.UUID `path:"id"`
	After int64     `query:"after" minimum:"0" doc:"Row number to continue after (nextAfter of the previous page)"`
	Limit int       `query:"limit" minimum:"1" maximum:"1000" default:"100"`
}

// ContactImportOutput is one import.
type ContactImportOutput struct {
	Body ContactImportDTO
}

// ContactImportListDTO is a page of imports.
type ContactImportListDTO struct {
	Items      []ContactImportDTO `json:"items"`
	NextCursor string             `json:"nextCursor,omitempty"`
}

// ContactImportListOutput is a page of imports.
type ContactImportListOutput struct {
	Body ContactImportListDTO
}

// ContactImportErrorsDTO is a page of an import's refused rows.
type ContactImportErrorsDTO struct {
	Items     []ContactImportRowErrorDTO `json:"items"`
	NextAfter int64                      `json:"nextAfter,omitempty" doc:"Pass as after for the next page; absent on the last"`
}

// ContactImportErrorsOutput is a page of an import's refused rows.
type ContactImportErrorsOutput struct {
	Body ContactImportErrorsDTO
}

func (s *Server) registerContactImports() {
	if s.deps.Store == nil {
		return
	}
	svc := contactimport.New(s.deps.Store, contactimport.Options{Logger: s.log, MaxFileBytes: importMaxBytes})
	tags := []string{"contacts"}
	read := map[string]any{MetaPermission: auth.PermContactsRead}
	write := map[string]any{MetaPermission: auth.PermContactsWrite}
	errs := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}

	binary := &huma.Schema{Type: huma.TypeString, Format: "binary"}
	huma.Register(s.api, huma.Operation{
		OperationID: "create-contact-import", Method: http.MethodPost, Path: contactImportsPath,
		Summary: "Import contacts from a CSV file",
		Description: "Uploads a UTF-8 CSV file (body text/csv, or multipart/form-data with a `file` part) whose first row names " +
			"the columns; one of them must give an externalId or an email. The file is checked and its rows counted while it " +
			"streams in; then a background job imports it in batches (GET the import for progress and refused rows). " +
			"A row is upserted by externalId, else email; empty cells keep what is stored.",
		Tags: tags, DefaultStatus: http.StatusAccepted, Metadata: write,
		Errors:      append(errs, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity),
		RequestBody: &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{"text/csv": {Schema: binary}}},
	}, func(ctx context.Context, in *ContactImportUploadInput) (*ContactImportOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var columns map[string]string
		if in.Columns != "" {
			if err := json.Unmarshal([]byte(in.Columns), &columns); err != nil || !utf8.ValidString(in.Columns) {
				return nil, huma.Error422UnprocessableEntity("columns: want a JSON object mapping header names to contact fields, such as {\"Customer\":\"externalId\"}",
					&huma.ErrorDetail{Location: "query.columns", Message: "not a JSON object of strings"})
			}
		}
		body, filename, err := uploadBody(in)
		if err != nil {
			return nil, err
		}
		if in.Filename != "" {
			filename = in.Filename
		}
		imp, err := svc.Upload(ctx, &contactimport.UploadParams{TenantID: c.TenantID, CreatedBy: c.UserID,
			Filename: filename, Delimiter: in.Delimiter, Columns: columns, Body: body})
		if err != nil {
			return nil, s.contactImportProblem(ctx, err)
		}
		return &ContactImportOutput{Body: contactImportDTO(imp, nil)}, nil
	})
	// The form is documented after registering: a form schema given to
	// Register would make huma read and parse the body itself.
	if item := s.api.OpenAPI().Paths[contactImportsPath]; item != nil && item.Post != nil && item.Post.RequestBody != nil {
		item.Post.RequestBody.Content["multipart/form-data"] = &huma.MediaType{Schema: &huma.Schema{Type: huma.TypeObject,
			Required: []string{"file"}, Properties: map[string]*huma.Schema{"file": binary}}}
	}

	huma.Register(s.api, huma.Operation{
		OperationID: "list-contact-imports", Method: http.MethodGet, Path: contactImportsPath,
		Summary: "List contact imports, newest first", Tags: tags, Metadata: read, Errors: errs,
	}, func(ctx context.Context, in *ContactImportListInput) (*ContactImportListOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		var before uuid.UUID
		if in.Cursor != "" {
			if before, err = uuid.Parse(in.Cursor); err != nil {
				return nil, huma.Error422UnprocessableEntity("cursor: not a cursor from a previous page",
					&huma.ErrorDetail{Location: "query.cursor", Message: "invalid", Value: in.Cursor})
			}
		}
		list, err := svc.List(ctx, c.TenantID, before, in.Limit+1)
		if err != nil {
			return nil, s.problem(ctx, "contact imports", err)
		}
		out := &ContactImportListOutput{Body: ContactImportListDTO{Items: []ContactImportDTO{}}}
		for i := range list {
			if i == in.Limit {
				out.Body.NextCursor = list[i-1].ID.String()
				break
			}
			out.Body.Items = append(out.Body.Items, contactImportDTO(&list[i], nil))
		}
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "get-contact-import", Method: http.MethodGet, Path: contactImportsPath + "/{id}",
		Summary: "Get a contact import: status, progress and the first refused rows", Tags: tags, Metadata: read, Errors: errs,
	}, func(ctx context.Context, in *ContactImportIDInput) (*ContactImportOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		imp, err := svc.Get(ctx, c.TenantID, in.ID)
		if err != nil {
			return nil, s.problem(ctx, "contact import", err)
		}
		var rowErrs []domain.ContactImportRowError
		if imp.RowsFailed > 0 {
			if rowErrs, err = svc.Errors(ctx, c.TenantID, in.ID, 0, contactImportErrorsShown); err != nil {
				return nil, s.problem(ctx, "contact import", err)
			}
		}
		return &ContactImportOutput{Body: contactImportDTO(imp, rowErrs)}, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "list-contact-import-errors", Method: http.MethodGet, Path: contactImportsPath + "/{id}/errors",
		Summary: "List the rows a contact import refused, by row number", Tags: tags, Metadata: read, Errors: errs,
	}, func(ctx context.Context, in *ContactImportErrorsInput) (*ContactImportErrorsOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		list, err := svc.Errors(ctx, c.TenantID, in.ID, in.After, in.Limit+1)
		if err != nil {
			return nil, s.problem(ctx, "contact import", err)
		}
		out := &ContactImportErrorsOutput{Body: ContactImportErrorsDTO{Items: []ContactImportRowErrorDTO{}}}
		for i, e := range list {
			if i == in.Limit {
				out.Body.NextAfter = list[i-1].Row
				break
			}
			out.Body.Items = append(out.Body.Items, ContactImportRowErrorDTO{Row: e.Row, Message: e.Message})
		}
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID: "cancel-contact-import", Method: http.MethodPost, Path: contactImportsPath + "/{id}/cancel",
		Summary:     "Cancel a contact import",
		Description: "The job stops before its next batch; rows imported so far stay. An import that has ended is returned unchanged.",
		Tags:        tags, Metadata: write, Errors: errs,
	}, func(ctx context.Context, in *ContactImportIDInput) (*ContactImportOutput, error) {
		c, err := mustCaller(ctx)
		if err != nil {
			return nil, err
		}
		imp, err := svc.Cancel(ctx, c.TenantID, in.ID)
		if err != nil {
			return nil, s.problem(ctx, "contact import", err)
		}
		return &ContactImportOutput{Body: contactImportDTO(imp, nil)}, nil
	})
}

// uploadBody returns the file's stream from a text/csv body or from the
// "file" part of a multipart form.
func uploadBody(in *ContactImportUploadInput) (io.Reader, string, error) {
	if in.body == nil {
		return nil, "", huma.Error400BadRequest("the request has no body: send the CSV file")
	}
	mt, params, err := mime.ParseMediaType(in.ContentType)
	if in.ContentType == "" {
		mt, err = "text/csv", nil
	}
	if err != nil {
		return nil, "", huma.Error415UnsupportedMediaType("Content-Type: want text/csv or multipart/form-data")
	}
	switch mt {
	case "text/csv", "text/plain", "application/csv", "application/octet-stream", "application/vnd.ms-excel":
		return in.body, "", nil
	case "multipart/form-data":
		mr := multipart.NewReader(in.body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, "", huma.Error422UnprocessableEntity("the form has no file part: send the CSV file as the form field file")
			}
			if err != nil {
				return nil, "", huma.Error400BadRequest("not a valid multipart form: " + err.Error())
			}
			if part.FormName() == "file" {
				return part, part.FileName(), nil
			}
		}
	}
	return nil, "", huma.Error415UnsupportedMediaType(fmt.Sprintf("Content-Type %s: want text/csv (or multipart/form-data with a file part)", mt))
}

// contactImportProblem maps upload errors to problems.
func (s *Server) contactImportProblem(ctx context.Context, err error) error {
	var ie *contactimport.InputError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ie) && ie.TooLarge, errors.As(err, &mbe):
		return huma.Error413RequestEntityTooLarge(fmt.Sprintf("the file is larger than the upload limit of %d bytes", importMaxBytes))
	case errors.As(err, &ie):
		loc := "body"
		if ie.Field != "file" {
			loc = "query." + ie.Field
		}
		return huma.Error422UnprocessableEntity(ie.Message, &huma.ErrorDetail{Location: loc, Message: ie.Message})
	case errors.Is(err, store.ErrNotFound):
		return huma.Error404NotFound("contact import not found")
	}
	return s.problem(ctx, "contact import", err)
}

// uploadBypass sends the upload route around the request body limit and
// the text check (both read or cap the whole body; the import streams it
// and checks it itself, up to its own limit) and everything else to next.
func (s *Server) uploadBypass(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != contactImportsPath {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > importMaxBytes+1<<20 {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			_, _ = w.Write([]byte(`{"title":"Request Entity Too Large","status":413,"detail":"the file is larger than the upload limit"}`))
			return
		}
		// The body streams past the text check (the import checks its
		// UTF-8 itself); the query parameters get it as on every route.
		if issues := queryIssues(r.URL.RawQuery); len(issues) > 0 {
			writeTextProblem(w, issues)
			return
		}
		if r.Body != nil {
			// The form's envelope may add a little to the file's size.
			r.Body = http.MaxBytesReader(w, r.Body, importMaxBytes+1<<20)
		}
		s.mux.ServeHTTP(w, r)
	})
}
