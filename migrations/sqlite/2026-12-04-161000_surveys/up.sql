-- Issue 16: the survey after an event and the impact report. The figures are kept in
-- rows that hold no personal data (see `workflows::impact`): `impact_attendances` says
-- who attended which event by a pseudonymous person id, and `survey_responses` keeps the
-- yes/no answers and counts beside the free text that retention may blank.

-- The survey settings of an event; an event without a row has the defaults.
-- `attendance_recorded_at`: when the event's attendance was written down (once, after it ended).
CREATE TABLE event_surveys (
    event_id TEXT PRIMARY KEY NOT NULL REFERENCES events (id),
    send_after_hours INTEGER NOT NULL DEFAULT 24,
    follow_up_after_days INTEGER NOT NULL DEFAULT 90,
    open BOOLEAN NOT NULL DEFAULT 1,
    attendance_recorded_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);

-- One id per address across events; retention forgets the address (NULL), the id stays.
CREATE TABLE impact_people (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- Who attended an ended event. `registration_id` links to the person's details while
-- they are kept; the figures need only the person and the community.
CREATE TABLE impact_attendances (
    event_id TEXT NOT NULL REFERENCES events (id),
    person_id TEXT NOT NULL REFERENCES impact_people (id),
    community_id TEXT NOT NULL REFERENCES communities (id),
    registration_id TEXT REFERENCES registrations (id),
    PRIMARY KEY (event_id, person_id)
);

-- One survey sent to one attendee for one wave, and their answers. The unique key is
-- what makes each wave go to each person once, however many sweepers run.
CREATE TABLE survey_responses (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events (id),
    person_id TEXT NOT NULL REFERENCES impact_people (id),
    wave TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    reminded_at TIMESTAMP,
    answered_at TIMESTAMP,
    would_recommend BOOLEAN,
    learned BOOLEAN,
    still_applying BOOLEAN,
    residents_engaged BIGINT,
    highlight TEXT,
    testimonial TEXT,
    may_quote BOOLEAN NOT NULL DEFAULT 0,
    UNIQUE (event_id, person_id, wave)
);
CREATE INDEX survey_responses_reminders ON survey_responses (answered_at, reminded_at, sent_at);

-- The personal links to a survey, stored as hashes: the first email's and the reminder's
-- (a new token, since the first cannot be repeated); each keeps working.
CREATE TABLE survey_links (
    token_hash TEXT PRIMARY KEY NOT NULL,
    response_id TEXT NOT NULL REFERENCES survey_responses (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX survey_links_response ON survey_links (response_id);

-- Programmes whose impact page is public.
CREATE TABLE impact_publications (
    program TEXT PRIMARY KEY NOT NULL,
    published_at TIMESTAMP NOT NULL,
    published_by TEXT REFERENCES organizers (id)
);
