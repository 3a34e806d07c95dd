-- Check-in at the door (issue 17). Every registration carries a code for its QR code: new
-- ones get 12 characters of Crockford base32 from the service; the rows already here get
-- 12 hex digits (48 random bits, in the same alphabet) from SQLite's random generator.
ALTER TABLE registrations ADD COLUMN checkin_code TEXT NOT NULL DEFAULT '';
UPDATE registrations SET checkin_code = upper(hex(randomblob(6)));
CREATE UNIQUE INDEX registrations_checkin_code ON registrations (checkin_code);

-- One row per registration that arrived: the primary key is what makes two desks scanning
-- the same person at once give one check-in and one 409, whatever the timing.
CREATE TABLE check_ins (
    registration_id TEXT PRIMARY KEY NOT NULL REFERENCES registrations (id),
    event_id TEXT NOT NULL REFERENCES events (id),
    checked_in_at TIMESTAMP NOT NULL,
    checked_in_by TEXT REFERENCES organizers (id)
);
CREATE INDEX check_ins_event ON check_ins (event_id, checked_in_at);
