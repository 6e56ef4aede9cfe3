-- name: UserInsert :one
INSERT INTO users (id, email, name, password_hash, created_at, updated_at)
VALUES (@id, @email, @name, @password_hash, @now, @now)
RETURNING *;

-- name: UserGetByID :one
SELECT * FROM users WHERE id = @id;

-- name: UserGetByEmail :one
SELECT * FROM users WHERE lower(email) = lower(@email);

-- name: UserUpdatePassword :execrows
UPDATE users SET password_hash = @password_hash, updated_at = @now WHERE id = @id;
