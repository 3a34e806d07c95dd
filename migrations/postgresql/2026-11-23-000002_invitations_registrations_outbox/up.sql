-- Seats taken, kept in the event row: a registration claims a seat with one conditional
-- UPDATE (seats_taken < capacity), which holds capacity on both backends under concurrency.
ALTER TABLE events ADD COLUMN seats_taken INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN invitation_ttl_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE events ADD COLUMN nominations_per_executive INTEGER NOT NULL DEFAULT 1;

CREATE TABLE communities (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    country TEXT NOT NULL,
    -- lowercased, whitespace-folded "name|state|country": one community however it is typed
    match_key TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events (id),
    community_id TEXT NOT NULL REFERENCES communities (id),
    kind TEXT NOT NULL CHECK (kind IN ('executive', 'young_leader')),
    email TEXT NOT NULL,
    full_name TEXT NOT NULL,
    title TEXT NOT NULL,
    organization TEXT,
    message TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'accepted', 'declined', 'revoked', 'expired')),
    expires_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    responded_at TIMESTAMP,
    decline_reason TEXT,
    invited_by TEXT REFERENCES organizers (id),
    nominated_by TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- One live invitation per (event, email).
CREATE UNIQUE INDEX invitations_live_email ON invitations (event_id, email)
    WHERE status IN ('pending', 'sent', 'accepted');
CREATE INDEX invitations_event_status ON invitations (event_id, status);

CREATE TABLE registrations (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events (id),
    invitation_id TEXT NOT NULL UNIQUE REFERENCES invitations (id),
    community_id TEXT NOT NULL REFERENCES communities (id),
    kind TEXT NOT NULL CHECK (kind IN ('executive', 'young_leader')),
    full_name TEXT NOT NULL,
    email TEXT NOT NULL,
    title TEXT NOT NULL,
    organization TEXT NOT NULL,
    phone TEXT,
    dietary_requirements TEXT,
    accessibility_needs TEXT,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'waitlisted', 'cancelled')),
    manage_token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    cancelled_at TIMESTAMP
);
CREATE INDEX registrations_event_status ON registrations (event_id, status, created_at);

CREATE TABLE nominations (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events (id),
    registration_id TEXT NOT NULL REFERENCES registrations (id),
    community_id TEXT NOT NULL REFERENCES communities (id),
    full_name TEXT NOT NULL,
    email TEXT NOT NULL,
    title TEXT NOT NULL,
    organization TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined', 'withdrawn')),
    decision_note TEXT,
    decided_by TEXT REFERENCES organizers (id),
    decided_at TIMESTAMP,
    invitation_id TEXT REFERENCES invitations (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX nominations_event_status ON nominations (event_id, status);
CREATE INDEX nominations_registration ON nominations (registration_id);

CREATE TABLE scholarship_requests (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events (id),
    registration_id TEXT NOT NULL UNIQUE REFERENCES registrations (id),
    travelers INTEGER NOT NULL CHECK (travelers > 0),
    estimated_cost_cents BIGINT NOT NULL CHECK (estimated_cost_cents >= 0),
    requested_amount_cents BIGINT NOT NULL CHECK (requested_amount_cents >= 0),
    justification TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined', 'waitlisted', 'withdrawn')),
    awarded_amount_cents BIGINT,
    decision_note TEXT,
    decided_by TEXT REFERENCES organizers (id),
    decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX scholarship_requests_event_status ON scholarship_requests (event_id, status);

-- The outbox: every email, written in the transaction of the change that causes it.
-- The bodies are cleared once sent, so links with secrets stay in the database only
-- while they wait to be delivered.
CREATE TABLE emails (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT REFERENCES events (id),
    template TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT,
    body_html TEXT,
    attachments TEXT,
    message_id TEXT NOT NULL UNIQUE,
    entity_type TEXT,
    entity_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX emails_due ON emails (status, next_attempt_at);
CREATE INDEX emails_event ON emails (event_id, status);
CREATE INDEX emails_entity ON emails (entity_type, entity_id);
