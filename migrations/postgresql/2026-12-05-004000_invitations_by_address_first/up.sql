-- An address's invitations found by the address first. With (event_id, email), a query
-- for some addresses of an event just filled (a bulk upload, a CRM sync inviting one by
-- one) was planned by PostgreSQL from statistics that still counted that event as empty:
-- it took the event's rows from the index and filtered them by address, reading every
-- invitation of the event for each one made (1.3 ms at 3,000; BENCHMARKS.md, session 11).
-- Queries now ask for the addresses alone and keep the event's rows themselves; an
-- address is invited to a handful of events.
DROP INDEX invitations_event_email;
CREATE INDEX invitations_email_event ON invitations (email, event_id);
