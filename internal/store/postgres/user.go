package postgres

import (
	"context"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/postgres/dbsqlc"
)

func toUser(r dbsqlc.User) *domain.User {
	return &domain.User{
		ID:           r.ID,
		Email:        r.Email,
		Name:         r.Name,
		PasswordHash: r.PasswordHash,
		CreatedAt:    utc(r.CreatedAt),
		UpdatedAt:    utc(r.UpdatedAt),
	}
}

// UserInsert creates a user.
func (t *tx) UserInsert(ctx context.Context, p *store.UserInsertParams) (*domain.User, error) {
	r, err := t.q.UserInsert(ctx, dbsqlc.UserInsertParams{
		ID:           newID(p.ID),
		Email:        p.Email,
		Name:         p.Name,
		PasswordHash: p.PasswordHash,
	})
	if err != nil {
		return nil, translateInsert(err, "insert user %q", p.Email)
	}
	return toUser(r), nil
}

// UserGetByID loads a user.
func (t *tx) UserGetByID(ctx context.Context, id uuid.UUID) (*domain.User, error) {
	r, err := t.q.UserGetByID(ctx, id)
	if err != nil {
		return nil, translate(err, "get user %s", id)
	}
	return toUser(r), nil
}

// UserGetByEmail loads a user by email, case-insensitively.
func (t *tx) UserGetByEmail(ctx context.Context, email string) (*domain.User, error) {
	r, err := t.q.UserGetByEmail(ctx, email)
	if err != nil {
		return nil, translate(err, "get user %q", email)
	}
	return toUser(r), nil
}

// UserUpdatePassword replaces a user's password hash.
func (t *tx) UserUpdatePassword(ctx context.Context, id uuid.UUID, passwordHash string) error {
	n, err := t.q.UserUpdatePassword(ctx, dbsqlc.UserUpdatePasswordParams{ID: id, PasswordHash: passwordHash})
	return affected(n, err, "update password of user %s", id)
}
