DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression') THEN
        ALTER TABLE emails
            ALTER COLUMN body_text SET COMPRESSION default,
            ALTER COLUMN body_html SET COMPRESSION default,
            ALTER COLUMN attachments SET COMPRESSION default;
    END IF;
END
$$;
