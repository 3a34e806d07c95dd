DROP TABLE event_email_templates;
