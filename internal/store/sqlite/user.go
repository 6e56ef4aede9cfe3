package sqlite

import (
	"context"

	"github.com/google/uuid"

	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/store"
	"github.com/nextflow-dev/nextflow/internal/store/sqlite/dbsqlc"
)

func userFromRow(r dbsqlc.User) *domain.User {
	return &domain.User{
		ID:           r.ID,
		Email:        r.Email,
		Name:         r.Name,
		PasswordHash: r.PasswordHash,
		CreatedAt:    r.CreatedAt.UTC(),
		UpdatedAt:    r.UpdatedAt.UTC(),
	}
}

// UserInsert creates a user; an email taken in any letter case is
// store.ErrConflict.
func (t *tx) UserInsert(ctx context.Context, p *store.UserInsertParams) (*domain.User, error) {
	id := p.ID
	if id == uuid.Nil {
		id = domain.NewID()
	}
	r, err := t.q.UserInsert(ctx, t.tx, &dbsqlc.UserInsertParams{
		ID: id, Email: p.Email, Name: p.Name, PasswordHash: p.PasswordHash, Now: now(),
	})
	if err != nil {
		return nil, wrap(err, "insert user %q", p.Email)
	}
	return userFromRow(r), nil
}

// UserGetByID returns a user.
func (t *tx) UserGetByID(ctx context.Context, id uuid.UUID) (*domain.User, error) {
	r, err := t.q.UserGetByID(ctx, t.tx, id)
	if err != nil {
		return nil, wrap(err, "get user %s", id)
	}
	return userFromRow(r), nil
}

// UserGetByEmail returns the user with the email, matched case-insensitively.
func (t *tx) UserGetByEmail(ctx context.Context, email string) (*domain.User, error) {
	r, err := t.q.UserGetByEmail(ctx, t.tx, email)
	if err != nil {
		return nil, wrap(err, "get user %q", email)
	}
	return userFromRow(r), nil
}

// UserUpdatePassword replaces a user's password hash.
func (t *tx) UserUpdatePassword(ctx context.Context, id uuid.UUID, passwordHash string) error {
	n, err := t.q.UserUpdatePassword(ctx, t.tx, &dbsqlc.UserUpdatePasswordParams{
		ID: id, PasswordHash: passwordHash, Now: now(),
	})
	return affected(n, err, "update password of user %s", id)
}
