-- Issue 19. A forgotten password is reset by a link emailed to the organizer: single use,
-- short-lived, and stored only as the hash of its token.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY NOT NULL,
    organizer_id TEXT NOT NULL REFERENCES organizers (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_resets_organizer ON password_resets (organizer_id);
