-- The impact report keeps its counts per event between reports; an answer given or
-- changed makes the event's answers a new version, so counts of an older one are made
-- again (workflows::impact::counts).
ALTER TABLE event_surveys ADD COLUMN answers_version BIGINT NOT NULL DEFAULT 0;

-- The few answers that may be quoted, without reading every answer of a programme.
CREATE INDEX survey_responses_quotable ON survey_responses (event_id)
    WHERE may_quote AND testimonial IS NOT NULL AND answered_at IS NOT NULL;

-- The attendances of a few people (the authors of quotes, a person erased).
CREATE INDEX impact_attendances_person ON impact_attendances (person_id);
