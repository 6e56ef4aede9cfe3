-- name: UserInsert :one
INSERT INTO users (id, email, name, password_hash)
VALUES (@id, @email, @name, @password_hash)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: UserGetByID :one
SELECT * FROM users WHERE id = @id;

-- name: UserGetByEmail :one
SELECT * FROM users WHERE lower(email) = lower(@email);

-- name: UserUpdatePassword :execrows
UPDATE users SET password_hash = @password_hash, updated_at = clock_timestamp() WHERE id = @id;
