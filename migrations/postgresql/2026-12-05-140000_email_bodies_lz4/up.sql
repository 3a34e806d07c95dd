-- An email's bodies are written once, read once by the sender and cleared when it is sent,
-- yet PostgreSQL compressed each with pglz on the way in (TOAST): pglz_compress was 8 % of
-- the group committer's backend in the benchmark's invitations through the API. lz4 does
-- the same job several times faster. Only where the server was built with lz4
-- (PostgreSQL 14 and later, as Debian's and the official images are); elsewhere nothing
-- changes. Rows already stored keep their compression.
DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_settings
        WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)
    ) THEN
        ALTER TABLE emails
            ALTER COLUMN body_text SET COMPRESSION lz4,
            ALTER COLUMN body_html SET COMPRESSION lz4,
            ALTER COLUMN attachments SET COMPRESSION lz4;
    END IF;
END
$$;
