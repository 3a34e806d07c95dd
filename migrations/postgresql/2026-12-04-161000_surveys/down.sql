DROP TABLE impact_publications;
DROP INDEX survey_links_response;
DROP TABLE survey_links;
DROP INDEX survey_responses_reminders;
DROP TABLE survey_responses;
DROP TABLE impact_attendances;
DROP TABLE impact_people;
DROP TABLE event_surveys;
