DROP INDEX impact_attendances_person;
DROP INDEX survey_responses_quotable;
ALTER TABLE event_surveys DROP COLUMN answers_version;
