-- PostgreSQL only (its emails' bodies are compressed with lz4 instead of pglz); kept here
-- so that both databases have the same migrations.
SELECT 1;
