package postgres

import (
	"context"
	"fmt"
	"log/slog"
)

// Role is what the store's connection role is allowed around row-level
// security.
type Role struct {
	Name      string
	Superuser bool
	BypassRLS bool
	// RegistersSystem is set when the role may write the system-token
	// hashes (nextflow_system_tokens): it owns the schema or was granted
	// the table, and so could give itself the cross-tenant system scope.
	RegistersSystem bool
}

// SkipsRLS reports whether the role skips every row-level-security policy
// (a superuser or a role with BYPASSRLS): tenant isolation then rests on
// the queries' tenant filters alone.
func (r Role) SkipsRLS() bool { return r.Superuser || r.BypassRLS }

// Role returns the connection role and whether it skips row-level
// security.
func (s *Store) Role(ctx context.Context) (Role, error) {
	var r Role
	err := s.pool.QueryRow(ctx,
		`SELECT current_user::text, rolsuper, rolbypassrls,
	coalesce(has_table_privilege(to_regclass('nextflow_system_tokens'), 'INSERT'), false)
FROM pg_roles WHERE rolname = current_user`).
		Scan(&r.Name, &r.Superuser, &r.BypassRLS, &r.RegistersSystem)
	if err != nil {
		return Role{}, markUnavailable(ctx, fmt.Errorf("read the connection role: %w", err))
	}
	return r, nil
}

// WarnRole logs, at error level so that it is seen, when the connection
// role skips row-level security, saying how to fix it; it returns the role.
// A role that cannot be read is logged at warn.
func (s *Store) WarnRole(ctx context.Context, log *slog.Logger) Role {
	r, err := s.Role(ctx)
	if err != nil {
		log.WarnContext(ctx, "cannot tell whether the PostgreSQL role is subject to row-level security", "error", err)
		return r
	}
	if r.SkipsRLS() {
		log.ErrorContext(ctx, "PostgreSQL role skips row-level security: tenant isolation rests on query filters alone. "+
			"Connect as an ordinary role (NOSUPERUSER NOBYPASSRLS) that owns nothing it need not; see the postgres package documentation",
			"role", r.Name, "superuser", r.Superuser, "bypassrls", r.BypassRLS)
	} else if r.RegistersSystem {
		log.ErrorContext(ctx, "PostgreSQL role may write nextflow_system_tokens, so it could give itself the cross-tenant system scope of row-level security. "+
			"Serve as a role that does not own the schema, and REVOKE ALL ON nextflow_system_tokens FROM it; see the postgres package documentation",
			"role", r.Name)
	}
	if accepted, err := s.systemAccepted(ctx); err != nil || !accepted {
		log.ErrorContext(ctx, "the database does not accept this process's system token, so sign-in and other cross-tenant look-ups find nothing: "+
			"run `nextflow migrate up` once as the schema's owner with this NEXTFLOW_SECRET_KEY", "error", err)
	}
	return r
}
