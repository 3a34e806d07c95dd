-- Whether an organizer is emailed when something new waits for review: 'none' or 'each'.
ALTER TABLE organizers ADD COLUMN review_notices TEXT NOT NULL DEFAULT 'none';
