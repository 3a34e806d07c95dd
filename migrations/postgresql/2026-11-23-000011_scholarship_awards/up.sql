-- Travel-scholarship awards. The sum awarded is kept in the event row: an approval claims
-- its amount with one conditional UPDATE (awarded + amount <= budget), which holds the
-- budget on both backends under concurrent decisions, like seats_taken holds capacity.
-- It counts the awards that stand: offered (waiting for the registrant's answer) or
-- accepted; a declined, lapsed or released award gives its amount back.
ALTER TABLE events ADD COLUMN scholarship_awarded_cents BIGINT NOT NULL DEFAULT 0
    CHECK (scholarship_awarded_cents >= 0);

-- The registrant answers an award by reply_by; the sweeper reminds them once
-- (reminded_at) and lapses an award left unanswered.
ALTER TABLE scholarship_requests ADD COLUMN reply_by TIMESTAMP;
ALTER TABLE scholarship_requests ADD COLUMN award_status TEXT
    CHECK (award_status IN ('offered', 'accepted', 'declined', 'lapsed', 'released'));
ALTER TABLE scholarship_requests ADD COLUMN award_answered_at TIMESTAMP;
ALTER TABLE scholarship_requests ADD COLUMN reminded_at TIMESTAMP;
CREATE INDEX scholarship_requests_award_due ON scholarship_requests (award_status, reply_by);

-- Awards made before this migration (none were possible through the API) stand.
UPDATE scholarship_requests SET award_status = 'accepted'
    WHERE status = 'approved' AND awarded_amount_cents IS NOT NULL;
UPDATE events SET scholarship_awarded_cents = COALESCE((
    SELECT SUM(s.awarded_amount_cents) FROM scholarship_requests s
    WHERE s.event_id = events.id AND s.award_status = 'accepted'
), 0);
