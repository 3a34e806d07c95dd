DROP INDEX event_sessions_event;
DROP TABLE event_sessions;
ALTER TABLE emails DROP COLUMN reply_to;
ALTER TABLE events DROP COLUMN reminder_days_before;
ALTER TABLE events DROP COLUMN program;
ALTER TABLE events DROP COLUMN contact_email;
ALTER TABLE events DROP COLUMN practical_info;
ALTER TABLE events DROP COLUMN description;
