//! The errors every operation of a kind can answer, added to the document once: a JSON
//! body's 400/413/415/422, a query's 400/422, the session's 401, the cross-site guard's
//! 403, 500 and 503, all as `application/problem+json` with an example.

use actix_web::http::Method;
use serde_json::json;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation as DocOperation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::ToSchema;

use super::API_PREFIX;
use crate::http::problem::Problem;

/// Statuses every operation of its kind may answer, with the reason shown when the
/// annotation gave none.
pub(super) fn add_common_errors(op: &mut DocOperation, method: &Method, path: &str) {
    let in_api = path.starts_with(API_PREFIX);
    let has_body = op.request_body.is_some();
    let json_body = op.request_body.as_ref().is_some_and(|b| match b {
        RefOr::T(b) => b.content.contains_key("application/json"),
        RefOr::Ref(_) => true,
    });
    let has_query = op.parameters.iter().flatten().any(|p| {
        matches!(p, RefOr::T(p) if matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query))
    });
    // Signed in only: a session is required, not one of the choices (`{}` is "anyone").
    let signed_in = op.security.as_ref().is_some_and(|reqs| {
        !reqs.is_empty()
            && reqs
                .iter()
                .all(|r| serde_json::to_value(r).is_ok_and(|v| v != json!({})))
    });
    let described: Vec<u16> = op
        .responses
        .responses
        .keys()
        .filter_map(|k| k.parse().ok())
        .filter(|s| *s >= 400)
        .collect();
    let mut add = |status: u16, description: &str| {
        let response = op
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(Response::new(description)));
        if let RefOr::T(r) = response {
            if r.content.is_empty() {
                *r = problem_response(status, std::mem::take(&mut r.description));
            }
        }
    };
    if has_body {
        add(400, "The body is not valid JSON, or nested too deeply.");
        add(
            408,
            "The body did not arrive within the client timeout (`CONVENE_CLIENT_TIMEOUT_MS`).",
        );
        add(413, "The body is too large.");
        // Only where JSON is what is read: the bounce endpoint takes any content type.
        if json_body {
            add(415, "The body is not `application/json`.");
        }
        add(422, "A field is missing or wrong; `errors` names each one.");
    }
    if has_query {
        add(400, "A query parameter cannot be read.");
        // `middleware::plain_query_text`, before any handler's own range checks.
        add(
            422,
            "A query parameter holds a control character, or is out of range; `errors` names it.",
        );
    }
    if signed_in {
        add(401, "Not signed in, or the session has ended.");
    }
    // Secret links: an address that tried too many unknown tokens waits (see
    // `middleware::token_lookups`), whatever token it sends.
    if path.starts_with("/api/v1/invitations/{token}") || path.starts_with("/api/v1/manage/{token}")
    {
        add(
            429,
            "This address asked for too many unknown links recently (`CONVENE_TOKEN_MISS_LIMIT`).",
        );
    }
    if in_api && *method != Method::GET {
        add(
            403,
            "Sent by a browser from another origin (`Origin` or `Sec-Fetch-Site`).",
        );
    }
    add(
        500,
        "An unexpected error; the cause is in the service's log.",
    );
    if in_api || path == "/readyz" {
        add(503, "The database cannot be reached right now.");
    }
    // Statuses the annotations name without a body get the problem body too.
    for status in described {
        add(status, "");
    }
}

/// A `problem+json` answer with an example, and `Retry-After` where it is sent.
fn problem_response(status: u16, description: String) -> Response {
    let (kind, title, detail) = match status {
        400 => (
            "malformed-request",
            "Malformed request",
            "the body is not valid JSON: EOF while parsing an object",
        ),
        401 => (
            "unauthenticated",
            "Not signed in",
            "Sign in as an organizer to do this.",
        ),
        403 => ("forbidden", "Forbidden", "only an admin may do this"),
        404 => ("not-found", "Not found", "No such event."),
        408 => (
            "request-timeout",
            "Request timeout",
            "the body did not arrive within 10 seconds",
        ),
        409 => (
            "conflict",
            "Conflict",
            "You have already registered with this invitation.",
        ),
        410 => ("gone", "Gone", "This invitation has expired."),
        413 => (
            "payload-too-large",
            "Request body too large",
            "the body must be at most 2097152 bytes",
        ),
        415 => (
            "unsupported-media-type",
            "Unsupported media type",
            "send the body as application/json",
        ),
        422 => ("validation", "Invalid input", "Please correct: email."),
        429 => (
            "too-many-requests",
            "Too many requests",
            "Too many attempts; try again in 60 seconds.",
        ),
        503 => (
            "unavailable",
            "Service unavailable",
            "The service cannot reach its database right now; please try again shortly.",
        ),
        _ => (
            "internal",
            "Internal server error",
            "Something went wrong on our side.",
        ),
    };
    let mut example = json!({
        "type": format!("urn:convene:problem:{kind}"),
        "title": title,
        "status": status,
        "detail": detail,
    });
    let schema = if status == 422 {
        example["errors"] = json!({ "email": ["is not a valid email address"] });
        "ValidationProblem"
    } else {
        "Problem"
    };
    let description = if description.is_empty() {
        title.to_owned()
    } else {
        description
    };
    let mut response = ResponseBuilder::new().description(description).content(
        crate::http::problem::PROBLEM_JSON,
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(schema)))
            .example(Some(example))
            .build(),
    );
    if matches!(status, 429 | 503 | 507) {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(utoipa::openapi::schema::Type::Integer)
                        .minimum(Some(1)),
                ))
                .description(Some("Seconds to wait before trying again."))
                .build(),
        );
    }
    response.build()
}

/// A 422's body: a problem whose `errors` lists messages per field, keyed by JSON path.
pub(super) fn validation_problem_schema() -> RefOr<Schema> {
    AllOfBuilder::new()
        .item(Ref::from_schema_name(Problem::name()))
        .item(ObjectBuilder::new().required("errors"))
        .description(Some(
            "A problem naming every field at fault: `errors` maps each field's JSON path \
             (`community.name`, or the CSV column) to its messages.",
        ))
        .into()
}
