ALTER TABLE organizers DROP COLUMN review_notices;
