//! Organizer accounts: password hashing, sessions and login throttling.

pub mod password;
pub mod throttle;

pub use password::PasswordHasher;
pub use throttle::LoginThrottle;

/// The name of the HttpOnly cookie that carries an organizer's session token.
pub const SESSION_COOKIE: &str = "convene_session";
