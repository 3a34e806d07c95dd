-- The organizers' own words (issue 14): the event's Markdown content, the team's address
-- (the Reply-To of every email of the event), its programme, when registrants are
-- reminded; the Reply-To each queued email is sent with; and the agenda.
ALTER TABLE events ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN practical_info TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN contact_email TEXT;
ALTER TABLE events ADD COLUMN program TEXT;
ALTER TABLE events ADD COLUMN reminder_days_before INTEGER DEFAULT 3;

ALTER TABLE emails ADD COLUMN reply_to TEXT;

CREATE TABLE event_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events (id),
    title TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    location TEXT,
    description TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX event_sessions_event ON event_sessions (event_id, starts_at);
