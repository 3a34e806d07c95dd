DROP INDEX api_tokens_created_at;
DROP TABLE api_tokens;
