-- Per-address limits and login throttles that hold across all instances (issue 20): on
-- PostgreSQL each counted attempt is a row here, read and written by every instance.
-- `key_hash` is the SHA-256 of the key (an address, an account), never the key itself.
CREATE TABLE rate_hits (
    id BIGSERIAL PRIMARY KEY,
    scope TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX rate_hits_key ON rate_hits (scope, key_hash, at);
CREATE INDEX rate_hits_at ON rate_hits (at);
