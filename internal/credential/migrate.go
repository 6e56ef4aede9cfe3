package credential

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/workflow"
)

// MigrateResult counts what MigratePlain did.
type MigrateResult struct {
	Drafts      int
	Versions    int
	Credentials int
}

// MigratePlain moves plain secrets (trigger.webhook secrets, values of
// credential-carrying http.request headers) out of every draft and
// published version into credentials, and rewrites the configs to refer to
// them. Published versions are otherwise immutable; this rewrite is the
// one exception, and it changes nothing a run does (the same value is sent
// or checked). It is idempotent: a definition without plain secrets is left
// alone, and a credential already holding the same value is reused, so a
// draft and its versions share one credential. Run it after the schema
// migration, before serving.
func (s *Service) MigratePlain(ctx context.Context) (MigrateResult, error) {
	var res MigrateResult
	for _, versions := range []bool{false, true} {
		after := uuid.Nil
		for {
			var page []store.DefinitionRow
			if err := s.st.Read(ctx, uuid.Nil, func(tx store.Tx) error {
				var err error
				if versions {
					page, err = tx.WorkflowVersionListSecretCandidates(ctx, after, 100)
				} else {
					page, err = tx.WorkflowListSecretCandidates(ctx, after, 100)
				}
				return err
			}); err != nil {
				return res, fmt.Errorf("list definitions: %w", err)
			}
			if len(page) == 0 {
				break
			}
			after = page[len(page)-1].ID
			for _, row := range page {
				n, changed, err := s.migrateRow(ctx, row, versions)
				for try := 0; errors.Is(err, store.ErrConflict) && try < 3; try++ {
					// Another node moved the same secret at the same time:
					// again, it now finds the credential (or nothing left).
					n, changed, err = s.migrateRow(ctx, row, versions)
				}
				if err != nil {
					return res, err
				}
				res.Credentials += n
				if changed && versions {
					res.Versions++
				} else if changed {
					res.Drafts++
				}
			}
		}
	}
	if res.Drafts+res.Versions > 0 {
		s.log.InfoContext(ctx, "moved plain secrets into credentials", "drafts", res.Drafts, "versions", res.Versions, "credentials", res.Credentials)
	}
	return res, nil
}

func (s *Service) migrateRow(ctx context.Context, row store.DefinitionRow, version bool) (created int, changed bool, err error) {
	err = s.st.InTx(ctx, row.TenantID, func(tx store.Tx) error {
		created = 0
		short := strings.ToUpper(strings.ReplaceAll(row.WorkflowID.String(), "-", "")[24:])
		name := func(nodeID, suffix, value string) (string, error) {
			prefix := "HTTP"
			if suffix == "SECRET" {
				prefix, suffix = "WEBHOOK", ""
			}
			base := prefix + "_" + short + "_" + sanitize(nodeID)
			if suffix != "" {
				base += "_" + suffix
			}
			if len(base) > 60 {
				base = base[:60]
			}
			for i := 1; i < 100; i++ {
				cand := base
				if i > 1 {
					cand = fmt.Sprintf("%s_%d", base, i)
				}
				cur, err := tx.CredentialGetByName(ctx, row.TenantID, cand)
				if errors.Is(err, store.ErrNotFound) {
					kind := domain.CredentialHTTPHeader
					if prefix == "WEBHOOK" {
						kind = domain.CredentialWebhookSecret
					}
					if _, err := s.InsertTx(ctx, tx, row.TenantID, Input{Name: cand, Kind: kind, Value: value,
						Description: "moved from workflow " + row.WorkflowID.String() + " node " + nodeID}, nil); err != nil {
						return "", fmt.Errorf("store credential %s: %w", cand, err)
					}
					created++
					return cand, nil
				}
				if err != nil {
					return "", err
				}
				if v, err := s.Open(cur); err == nil && v == value {
					return cand, nil
				}
			}
			return "", fmt.Errorf("no free credential name for %s", base)
		}
		def, moved, err := workflow.ExtractSecrets(row.Definition, name)
		if err != nil {
			return fmt.Errorf("definition %s: %w", row.ID, err)
		}
		if len(moved) == 0 {
			return nil
		}
		changed = true
		if version {
			return tx.WorkflowVersionRewriteDefinition(ctx, row.TenantID, row.ID, def)
		}
		return tx.WorkflowRewriteDefinition(ctx, row.TenantID, row.ID, def)
	})
	return created, changed, err
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() > 24 {
		return b.String()[:24]
	}
	return b.String()
}
