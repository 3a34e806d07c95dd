-- An address's invitations to an event, whatever their status. The unique index on
-- (event_id, email) is partial (live invitations only) and a query that binds the
-- statuses as parameters, or asks for every status, cannot use it: inviting someone
-- read every invitation of the event twice (expired ones, then live ones), so that
-- each invitation cost more than the one before (BENCHMARKS.md, session 8).
CREATE INDEX invitations_event_email ON invitations (event_id, email);
