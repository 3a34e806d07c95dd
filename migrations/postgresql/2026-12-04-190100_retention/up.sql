-- Personal data kept only as long as needed (issue 20): each event keeps its people's
-- personal data `retention_days` after it ends; the retention sweep then anonymizes it
-- once and writes down when (`anonymized_at`), so that the sweep passes over it after.
ALTER TABLE events ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 365;
ALTER TABLE events ADD COLUMN anonymized_at TIMESTAMP;
