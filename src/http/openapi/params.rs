//! The path parameters the operations share, as the document describes them.

/// `{slug}`: the path of one event.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct EventPath {
    /// The event's slug.
    #[param(example = "summit-2027")]
    slug: String,
}

/// `{slug}/…/{id}`: one item of an event (an invitation, request, nomination, scholarship
/// request or email).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct EventItemPath {
    /// The event's slug.
    #[param(example = "summit-2027")]
    slug: String,
    /// The item's id.
    #[param(example = "0b7e2f7c-3d7a-4c1e-9a57-5d0f6b1f2a10")]
    id: String,
}

/// `{token}`: the secret token from an emailed link. Anything that is not one is 404.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct TokenPath {
    /// The secret token from the link in the invitation or confirmation email
    /// (43 characters of URL-safe base64, 256 bits).
    #[param(example = "q3Zr0m2WJ1sC9tQpXn8aV5yEo4LkUiHbGd7fRwMzA6c")]
    token: String,
}

/// `{token}/…/{id}`: one item of the registration the token belongs to.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct TokenItemPath {
    /// The secret token from the link in the confirmation email.
    #[param(example = "q3Zr0m2WJ1sC9tQpXn8aV5yEo4LkUiHbGd7fRwMzA6c")]
    token: String,
    /// The item's id.
    #[param(example = "0b7e2f7c-3d7a-4c1e-9a57-5d0f6b1f2a10")]
    id: String,
}
