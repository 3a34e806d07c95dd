-- A bounced email was sent before it bounced.
CREATE TABLE emails_new (
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
    sent_at TIMESTAMP,
    reply_to TEXT
);
INSERT INTO emails_new (id, event_id, template, recipient, subject, body_text, body_html,
    attachments, message_id, entity_type, entity_id, status, attempts, next_attempt_at,
    locked_until, last_error, created_at, sent_at, reply_to)
SELECT id, event_id, template, recipient, subject, body_text, body_html,
    attachments, message_id, entity_type, entity_id, CASE status WHEN 'bounced' THEN 'sent' ELSE status END, attempts, next_attempt_at,
    locked_until, last_error, created_at, sent_at, reply_to
FROM emails;
DROP TABLE emails;
ALTER TABLE emails_new RENAME TO emails;
CREATE INDEX emails_due ON emails (status, next_attempt_at);
CREATE INDEX emails_event ON emails (event_id, status);
CREATE INDEX emails_entity ON emails (entity_type, entity_id);
