-- Announcements (issue 14): what organizers wrote to a chosen group of an event's people.
-- `audience` is the group as asked (JSON); `recipients` how many it matched. A request
-- retried with its Idempotency-Key finds the announcement it made, through the unique
-- index (keys are per event; a NULL key never conflicts). The emails are the outbox rows
-- whose entity is the announcement.
CREATE TABLE announcements (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events (id),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    audience TEXT NOT NULL,
    recipients INTEGER NOT NULL,
    idempotency_key TEXT,
    created_by TEXT REFERENCES organizers (id),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX announcements_idempotency_key ON announcements (event_id, idempotency_key);
CREATE INDEX announcements_event ON announcements (event_id, created_at);
