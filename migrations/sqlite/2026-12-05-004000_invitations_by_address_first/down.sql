DROP INDEX invitations_email_event;
CREATE INDEX invitations_event_email ON invitations (event_id, email);
