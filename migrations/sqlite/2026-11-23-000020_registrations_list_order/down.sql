DROP INDEX registrations_event_order;
