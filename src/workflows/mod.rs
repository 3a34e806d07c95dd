//! The use cases: one module per thing a person does with the service (invite, register,
//! cancel, promote from the waiting list, decide, check in, ...).
//!
//! A workflow takes the connection (inside the caller's transaction, or the group
//! committer's savepoint: it does not care which), checks the rules through domain types,
//! writes through `db` functions, queues the outbox rows and the audit entries, and
//! returns a typed result. It knows no HTTP: handlers in `http::routes` parse the request,
//! call one workflow and shape the answer. Workflows may call each other (a cancellation
//! promotes from the waiting list); route modules never import each other.

pub mod agenda;
pub mod announce;
pub mod answer_award;
pub mod answer_survey;
pub mod api_tokens;
pub mod award_deadlines;
pub mod bulk_invite;
pub mod cancel;
pub mod check_in;
pub mod choose_notices;
pub mod confirm;
pub mod decide_nomination;
pub mod decide_request;
pub mod decide_scholarship;
pub mod decline;
pub mod email_wording;
pub mod event_changed;
pub mod expire;
pub mod impact;
pub mod invite;
pub mod links;
pub mod nominate;
pub mod passwords;
pub mod people;
pub mod promote;
pub mod record_bounce;
pub mod register;
pub mod register_for;
pub mod remind_registrants;
pub mod request_invitation;
pub mod request_scholarship;
pub mod resend;
pub mod resend_email;
pub mod retention;
pub mod revoke;
pub mod send_manage_link;
pub mod survey_settings;
pub mod survey_waves;
pub mod sweep;
pub mod update_details;
pub mod webhooks;
