-- How many registrations each event has in each status, kept by the database as rows
-- change, so that the organizers' list reads three numbers instead of counting the
-- event's registrations on every page (BENCHMARKS.md, session 12). Triggers, not the
-- application, keep it: every path that inserts a registration or changes its status
-- is counted without having to remember to. (PostgreSQL's triggers run once per
-- statement; SQLite has row triggers only, which cost little in process.)
CREATE TABLE registration_counts (
    event_id TEXT NOT NULL REFERENCES events (id),
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (event_id, status)
) WITHOUT ROWID;

INSERT INTO registration_counts (event_id, status, n)
SELECT event_id, status, count(*) FROM registrations WHERE true GROUP BY event_id, status;

CREATE TRIGGER registrations_counted_on_insert AFTER INSERT ON registrations
BEGIN
    INSERT INTO registration_counts (event_id, status, n) VALUES (new.event_id, new.status, 1)
    ON CONFLICT (event_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER registrations_counted_on_update AFTER UPDATE OF status, event_id ON registrations
WHEN old.status <> new.status OR old.event_id <> new.event_id
BEGIN
    UPDATE registration_counts SET n = n - 1
    WHERE event_id = old.event_id AND status = old.status;
    INSERT INTO registration_counts (event_id, status, n) VALUES (new.event_id, new.status, 1)
    ON CONFLICT (event_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER registrations_counted_on_delete AFTER DELETE ON registrations
BEGIN
    UPDATE registration_counts SET n = n - 1
    WHERE event_id = old.event_id AND status = old.status;
END;
