ALTER TABLE events DROP COLUMN calendar_sequence;
