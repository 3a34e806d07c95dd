DROP TABLE audit_log;
DROP TABLE events;
DROP TABLE organizer_sessions;
DROP TABLE organizers;
