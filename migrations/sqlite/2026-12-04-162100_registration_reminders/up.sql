-- The reminder before the event (issue 14): when a confirmed registrant was reminded. The
-- sweeper claims each registration with one conditional UPDATE (`reminded_at IS NULL`), so
-- that each is reminded once however many instances sweep at the same moment.
ALTER TABLE registrations ADD COLUMN reminded_at TIMESTAMP;
