-- Requests for an invitation from executives who were not invited.
CREATE TABLE invitation_requests (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events (id),
    full_name TEXT NOT NULL,
    email TEXT NOT NULL,
    title TEXT NOT NULL,
    organization TEXT NOT NULL,
    community_name TEXT NOT NULL,
    community_state TEXT NOT NULL,
    community_country TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
    -- a repeated request while one is pending is merged into it and counted here
    times_requested INTEGER NOT NULL DEFAULT 1,
    decision_note TEXT,
    decided_by TEXT REFERENCES organizers (id),
    decided_at TIMESTAMP,
    invitation_id TEXT REFERENCES invitations (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX invitation_requests_pending_email ON invitation_requests (event_id, email)
    WHERE status = 'pending';
CREATE INDEX invitation_requests_event_status ON invitation_requests (event_id, status, created_at);
