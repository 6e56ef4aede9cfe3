package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/nextflow-dev/nextflow/internal/auth"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/domain"
)

const adminUsage = `usage:
  nextflow admin create-user   --email E --password P --name N
  nextflow admin create-tenant --name N --owner-email E [--slug S] [--plan FREE|PRO|BIZ]
  nextflow admin prune [--dry-run] [--tenant ID|SLUG] [--batch N] [--execution-batch M]   delete history past the plans' ages
(all also take --database-url and --data-dir)`

// cmdAdmin bootstraps accounts from the shell.
func cmdAdmin(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", adminUsage)
	}
	if args[0] == "prune" {
		return cmdAdminPrune(ctx, args[1:], stdout)
	}
	fs := flag.NewFlagSet("admin "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data-dir", "", "data folder")
	dbURL := fs.String("database-url", "", "database URL")
	email := fs.String("email", "", "user email")
	password := fs.String("password", "", "user password (or NEXTFLOW_ADMIN_PASSWORD)")
	name := fs.String("name", "", "user or workspace name")
	ownerEmail := fs.String("owner-email", "", "email of the workspace owner (an existing user)")
	slug := fs.String("slug", "", "workspace slug (default: from the name)")
	plan := fs.String("plan", string(domain.PlanFree), "plan: FREE, PRO or BIZ")
	if err := fs.Parse(args[1:]); err != nil {
		return &config.Error{Name: "flags", Msg: err.Error() + "\n" + adminUsage}
	}
	var dbArgs []string
	if *dataDir != "" {
		dbArgs = append(dbArgs, "--data-dir", *dataDir)
	}
	if *dbURL != "" {
		dbArgs = append(dbArgs, "--database-url", *dbURL)
	}
	st, err := openStore(ctx, dbArgs)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	svc, err := auth.New(auth.Options{Store: st, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	switch args[0] {
	case "create-user":
		pw := *password
		if pw == "" {
			pw = os.Getenv("NEXTFLOW_ADMIN_PASSWORD")
		}
		u, err := svc.CreateUser(ctx, *email, pw, *name)
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		fmt.Fprintf(stdout, "created user %s <%s>\n", u.ID, u.Email)
	case "create-tenant":
		p := domain.Plan(strings.ToUpper(*plan))
		if !p.Valid() {
			return &config.Error{Name: "--plan", Msg: fmt.Sprintf("must be FREE, PRO or BIZ, got %q", *plan)}
		}
		t, err := svc.CreateTenant(ctx, *name, *slug, p, *ownerEmail)
		if err != nil {
			return fmt.Errorf("create tenant: %w", err)
		}
		fmt.Fprintf(stdout, "created workspace %s (%s, plan %s) owned by %s\n", t.ID, t.Slug, t.Plan, *ownerEmail)
	default:
		return fmt.Errorf("unknown admin command %q\n%s", args[0], adminUsage)
	}
	return nil
}
