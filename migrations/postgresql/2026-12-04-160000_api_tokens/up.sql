-- Issue 20. API tokens: an organizer's credential for integrations, sent as
-- `Authorization: Bearer`. Only the hash of the secret is stored; a token acts as the
-- organizer who made it, with at most the role it was given (see `db::models::api_token`).
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_created_at ON api_tokens (created_at);
