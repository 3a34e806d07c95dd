-- Issue 15. Manage links made after the registration's first one (the promotion email, a
-- scholarship decision, an organizer re-sending a lost link): only hashes are stored, so
-- an email carrying a link needs a new token, and the earlier links must keep working.
CREATE TABLE registration_manage_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX registration_manage_tokens_registration
    ON registration_manage_tokens (registration_id);

-- A person whose registration was cancelled can be invited again: only open invitations
-- are unique per address now; an accepted one counts as live while its registration is
-- not cancelled, which `invitation::live_for_email` checks.
DROP INDEX invitations_live_email;
CREATE UNIQUE INDEX invitations_live_email ON invitations (event_id, email)
    WHERE status IN ('pending', 'sent');
