-- Issue 19. A delivery status notification that arrives after the server accepted an
-- email (RFC 3464: posted to /bounces or read from the bounce mailbox) marks it bounced.
ALTER TABLE emails DROP CONSTRAINT emails_status_check;
ALTER TABLE emails ADD CONSTRAINT emails_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'bounced'));
