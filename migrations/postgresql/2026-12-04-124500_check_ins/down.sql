DROP TABLE check_ins;
DROP INDEX registrations_checkin_code;
ALTER TABLE registrations DROP COLUMN checkin_code;
