-- Calendar files that follow the registration (issue 14): the SEQUENCE of the event's
-- calendar entries, raised when its dates or venue change, so that a calendar replaces the
-- entry it has (a cancellation carries one more than the entry it cancels).
ALTER TABLE events ADD COLUMN calendar_sequence INTEGER NOT NULL DEFAULT 0;
