DROP INDEX announcements_event;
DROP INDEX announcements_idempotency_key;
DROP TABLE announcements;
