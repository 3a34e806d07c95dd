-- Per-address limits and login throttles that hold across all instances (issue 20). Only
-- PostgreSQL uses this table (one SQLite database has one instance, which counts in
-- memory); it is here so that both schemas stay the same.
CREATE TABLE rate_hits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX rate_hits_key ON rate_hits (scope, key_hash, at);
CREATE INDEX rate_hits_at ON rate_hits (at);
