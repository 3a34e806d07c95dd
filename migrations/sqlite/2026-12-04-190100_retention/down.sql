ALTER TABLE events DROP COLUMN anonymized_at;
ALTER TABLE events DROP COLUMN retention_days;
