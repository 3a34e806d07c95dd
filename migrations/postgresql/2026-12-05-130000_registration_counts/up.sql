-- How many registrations each event has in each status, kept by the database as rows
-- change, so that the organizers' list reads three numbers instead of counting the
-- event's registrations on every page: the count took 8.8 ms per page at 10,000
-- registrations on PostgreSQL right after a rush (statistics not yet taken), more than
-- half of the page (BENCHMARKS.md, session 12). Triggers, not the application, keep it:
-- every path that inserts a registration or changes its status (the register runs, an
-- import, a promotion, a cancellation) is counted without having to remember to.
-- Every such path locks the event row first, so the counts' row adds no new lock order.
CREATE TABLE registration_counts (
    event_id TEXT NOT NULL REFERENCES events (id),
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (event_id, status)
);

INSERT INTO registration_counts (event_id, status, n)
SELECT event_id, status, count(*) FROM registrations GROUP BY event_id, status;

-- Once per statement, from its transition tables: a run of registrations written in one
-- INSERT adds one row per status, not one per registration.
CREATE FUNCTION registration_counts_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO registration_counts (event_id, status, n)
    SELECT event_id, status, count(*) FROM added GROUP BY event_id, status
    ON CONFLICT (event_id, status) DO UPDATE SET n = registration_counts.n + excluded.n;
    RETURN NULL;
END $$;

CREATE FUNCTION registration_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only rows whose status or event changed move between counts.
    WITH moved AS (
        SELECT b.event_id AS old_event, b.status AS old_status,
               a.event_id AS new_event, a.status AS new_status
        FROM old_rows b JOIN new_rows a ON a.id = b.id
        WHERE a.status <> b.status OR a.event_id <> b.event_id
    ), delta AS (
        SELECT old_event AS event_id, old_status AS status, -count(*) AS n
        FROM moved GROUP BY old_event, old_status
        UNION ALL
        SELECT new_event, new_status, count(*) FROM moved GROUP BY new_event, new_status
    )
    INSERT INTO registration_counts (event_id, status, n)
    SELECT event_id, status, sum(n) FROM delta GROUP BY event_id, status
    ON CONFLICT (event_id, status) DO UPDATE SET n = registration_counts.n + excluded.n;
    RETURN NULL;
END $$;

CREATE FUNCTION registration_counts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registration_counts c SET n = c.n - d.n
    FROM (SELECT event_id, status, count(*) AS n FROM removed GROUP BY event_id, status) d
    WHERE c.event_id = d.event_id AND c.status = d.status;
    RETURN NULL;
END $$;

CREATE TRIGGER registrations_counted_on_insert AFTER INSERT ON registrations
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION registration_counts_added();
CREATE TRIGGER registrations_counted_on_update AFTER UPDATE ON registrations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registration_counts_changed();
CREATE TRIGGER registrations_counted_on_delete AFTER DELETE ON registrations
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION registration_counts_removed();
