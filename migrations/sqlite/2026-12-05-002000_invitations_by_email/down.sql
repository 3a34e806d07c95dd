DROP INDEX invitations_event_email;
