DROP TABLE emails;
DROP TABLE scholarship_requests;
DROP TABLE nominations;
DROP TABLE registrations;
DROP TABLE invitations;
DROP TABLE communities;
ALTER TABLE events DROP COLUMN nominations_per_executive;
ALTER TABLE events DROP COLUMN invitation_ttl_days;
ALTER TABLE events DROP COLUMN seats_taken;
