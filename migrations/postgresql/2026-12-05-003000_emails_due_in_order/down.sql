DROP INDEX emails_due;
CREATE INDEX emails_due ON emails (status, next_attempt_at);
