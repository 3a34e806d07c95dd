DROP INDEX scholarship_requests_award_due;
ALTER TABLE scholarship_requests DROP COLUMN reminded_at;
ALTER TABLE scholarship_requests DROP COLUMN award_answered_at;
ALTER TABLE scholarship_requests DROP COLUMN award_status;
ALTER TABLE scholarship_requests DROP COLUMN reply_by;
ALTER TABLE events DROP COLUMN scholarship_awarded_cents;
