//! One module per feature; each exposes `configure` (or services) for `http::configure`.

pub mod audit;
pub mod auth;
pub mod events;
pub mod health;
pub mod organizers;
