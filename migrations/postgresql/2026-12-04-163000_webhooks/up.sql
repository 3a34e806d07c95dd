-- Issue 20. Webhooks: an integrator's URL, the events it wants, and the secret that signs
-- each delivery (Standard Webhooks). The secret is kept as it is, since every delivery
-- is signed with it; it is shown to the admin once, when the hook is made.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES organizers (id),
    created_at TIMESTAMP NOT NULL,
    -- When deliveries began to fail without one success since; cleared by a success.
    failing_since TIMESTAMP,
    -- Set after 3 days of failure: nothing more is sent to it.
    disabled_at TIMESTAMP
);

-- The outbox of webhook deliveries, one row per hook and event, written in the
-- transaction of the change. `seq` orders them: of the deliveries with the same
-- `ordering_key` (the registration, or the invitation) to the same hook, one is sent
-- only once every earlier one is delivered.
CREATE TABLE webhook_deliveries (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    event_id TEXT,
    event_type TEXT NOT NULL,
    ordering_key TEXT,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_attempt_at TIMESTAMP,
    last_response_code INTEGER,
    last_error TEXT,
    delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_undelivered ON webhook_deliveries (status, seq);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, seq);
