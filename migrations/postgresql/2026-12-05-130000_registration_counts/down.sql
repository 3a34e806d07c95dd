DROP TRIGGER registrations_counted_on_delete ON registrations;
DROP TRIGGER registrations_counted_on_update ON registrations;
DROP TRIGGER registrations_counted_on_insert ON registrations;
DROP FUNCTION registration_counts_removed();
DROP FUNCTION registration_counts_changed();
DROP FUNCTION registration_counts_added();
DROP TABLE registration_counts;
