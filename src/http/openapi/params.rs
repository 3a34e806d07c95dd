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

/// What `middleware::plain_query_text` lets through in any query parameter: no control
/// character (Unicode `Cc`, as `char::is_control`).
pub const NO_CONTROL_CHARACTERS: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]*$";

/// Gives every free-text query parameter the pattern of [`NO_CONTROL_CHARACTERS`]: the
/// middleware refuses them for every operation, so the document says so once, here.
/// Parameters with a narrower schema of their own (an enum, a pattern) keep it.
pub(super) fn plain_query_strings(op: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    use utoipa::openapi::RefOr;
    for p in op.parameters.iter_mut().flatten() {
        let RefOr::T(p) = p else {
            continue;
        };
        if !matches!(p.parameter_in, ParameterIn::Query) {
            continue;
        }
        let Some(RefOr::T(Schema::Object(schema))) = p.schema.as_mut() else {
            continue;
        };
        let is_string = match &schema.schema_type {
            SchemaType::Type(t) => *t == Type::String,
            SchemaType::Array(types) => types.contains(&Type::String),
            SchemaType::AnyValue => false,
        };
        if is_string && schema.enum_values.is_none() && schema.pattern.is_none() {
            schema.pattern = Some(NO_CONTROL_CHARACTERS.to_owned());
        }
    }
}
