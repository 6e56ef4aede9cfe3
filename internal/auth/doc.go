// Package auth is NextFlow's accounts layer: password hashing, sessions,
// API keys, the role/permission matrix, invitations, the audit trail and
// the Principal that the API puts in every request's context.
//
// # Security model
//
// Credentials are never stored. Passwords are argon2id PHC strings
// (19 MiB, 2 passes; parameters read back from a hash are bounded so a
// planted hash cannot exhaust memory), 10 to 256 characters, not only
// whitespace and not easy to guess (zxcvbn score 2 or more, the user's
// email and name counting as known words). Every hash and check runs
// through a HashGate: at most GOMAXPROCS at once (configurable), a short
// bounded queue, the rest refused with ErrBusy (503), so a burst of
// sign-ins costs at most that many times 19 MiB. Session and
// invitation tokens and API key secrets carry 256 random bits and are
// stored as their SHA-256. API keys read nf_<prefix>_<secret>: the prefix
// finds the row, the secret's hash is compared in constant time.
//
// Sign-in answers ErrInvalidCredentials for an unknown email and for a
// wrong password alike, after the same argon2id work through the same
// gate (a dummy hash of the same parameters for unknown emails) and
// without waiting for the audit write. Each password check is first
// charged, atomically, to the throttle (LoginPolicy): per (account,
// client IP) with exponential backoff, per account across clients with a
// short capped delay that slows guessing from many addresses without
// locking the owner out, and per client IP; in process, or through Redis
// when several processes share the load.
//
// Sessions expire after 30 idle days (touched at most once a minute) and
// 90 days after sign-in at the latest; logout revokes one, "log out
// everywhere" all of a user's. A session's role is read afresh on every
// request, so a role change or removal applies at once. Work that outlives
// its request (the live stream) calls Recheck every few seconds and ends
// when the session, membership or key no longer stands.
//
// An API key acts with its scopes, capped by its creator's current role
// in the workspace (Principal.CreatorRole): lowering a member's role
// lowers their keys at once, raising it again restores them. Removing a
// member revokes the keys they created there, in the same transaction,
// each audited (apikey.revoked, reason member_removed).
//
// Authorisation is one matrix (permission.go): every API operation names
// the permission it needs and the middleware refuses what the caller's
// role, or API key scope, lacks, naming the permission. API keys never
// manage members, keys, billing or the workspace. Granting or removing
// OWNER needs owners:manage, and a workspace always keeps one OWNER (the
// check is serialised on the tenant row).
//
// Isolation: every read and write runs in a store transaction scoped to
// the principal's tenant, with the tenant ID in every tenant-owned call;
// another tenant's object is store.ErrNotFound, which the API answers 404.
// On PostgreSQL, row-level security is the second wall.
package auth
