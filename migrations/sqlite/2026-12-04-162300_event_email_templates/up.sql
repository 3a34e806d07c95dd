-- Email wording per event (issue 14): an organizer's subject and Markdown body replacing
-- the default wording of one kind of email for one event. No row: the default (emails/).
CREATE TABLE event_email_templates (
    event_id TEXT NOT NULL REFERENCES events (id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_by TEXT REFERENCES organizers (id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (event_id, kind)
);
