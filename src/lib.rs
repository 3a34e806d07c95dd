//! convene: an invite-only event registration and invitation service.
//!
//! The layout follows the architecture: [`http`] speaks HTTP, [`domain`] holds the
//! types and rules, [`db`] persists them, [`auth`] handles organizer accounts,
//! and [`startup`] wires them into a running server.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod email;
pub mod error;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod print;
pub mod rate_limit;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
pub mod workflows;

pub use error::AppError;
