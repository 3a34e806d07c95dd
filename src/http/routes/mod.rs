//! One module per feature; each exposes `configure` (or services) for `http::configure`.

pub mod acting_for;
pub mod api_tokens;
pub mod audit;
pub mod auth;
pub mod bulk_invitations;
pub mod catering;
pub mod check_ins;
pub mod emails;
pub mod events;
pub mod health;
pub mod impact;
pub mod invitation_requests;
pub mod invitations;
pub mod invitee;
pub mod manage;
pub mod metrics;
pub mod nominations;
pub mod organizers;
pub mod printouts;
pub mod registrations;
pub mod scholarships;
pub mod sessions;
pub mod stats;
pub mod surveys;
pub mod webhooks;
