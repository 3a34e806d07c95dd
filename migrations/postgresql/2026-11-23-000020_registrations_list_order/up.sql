-- The organizers' list and CSV export read an event's registrations in the order they came
-- (created_at, id); without this index every page sorted all of them.
CREATE INDEX registrations_event_order ON registrations (event_id, created_at, id);
