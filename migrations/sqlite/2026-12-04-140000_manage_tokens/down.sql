DROP INDEX invitations_live_email;
CREATE UNIQUE INDEX invitations_live_email ON invitations (event_id, email)
    WHERE status IN ('pending', 'sent', 'accepted');
DROP INDEX registration_manage_tokens_registration;
DROP TABLE registration_manage_tokens;
