-- A bounced email was sent before it bounced.
UPDATE emails SET status = 'sent' WHERE status = 'bounced';
ALTER TABLE emails DROP CONSTRAINT emails_status_check;
ALTER TABLE emails ADD CONSTRAINT emails_status_check
    CHECK (status IN ('pending', 'sent', 'failed'));
