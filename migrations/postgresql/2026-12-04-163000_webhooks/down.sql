DROP INDEX webhook_deliveries_webhook;
DROP INDEX webhook_deliveries_undelivered;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
