//! `POST /bounces`: a mail server (or a script reading the bounce mailbox) passes on a
//! delivery status notification, with the bounce token (`CONVENE_BOUNCE_TOKEN`) as its
//! bearer token. Without the setting the route does not exist (404).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::db::{self, write_transaction};
use crate::email::dsn::{self, DsnError};
use crate::error::AppError;
use crate::http::extract::unreadable_body;
use crate::http::AppState;
use crate::workflows::record_bounce::{record_bounce, BounceOutcome};

/// Largest report accepted: Postfix returns at most 50 kB of the message by default
/// (`bounce_size_limit`); other servers return the whole message, which ours keep small.
pub const BOUNCE_BODY_LIMIT: usize = 1024 * 1024;

/// What a report did.
#[derive(Serialize, ToSchema)]
pub struct BounceAnswer {
    /// `bounced` (the email is now marked so); no change: `already_bounced`, `not_sent`
    /// (the email was not sent, or failed at sending), `not_a_failure` (a delay or
    /// delivery notice), `unknown_message` (no email of ours has the returned Message-ID).
    #[schema(example = "bounced")]
    outcome: &'static str,
    /// The email the report is about, when it names one of ours.
    email_id: Option<String>,
}

impl From<BounceOutcome> for BounceAnswer {
    fn from(o: BounceOutcome) -> Self {
        let (outcome, email_id) = match o {
            BounceOutcome::Bounced { email_id } => ("bounced", Some(email_id)),
            BounceOutcome::AlreadyBounced { email_id } => ("already_bounced", Some(email_id)),
            BounceOutcome::NotSent { email_id, .. } => ("not_sent", Some(email_id)),
            BounceOutcome::NotAFailure => ("not_a_failure", None),
            BounceOutcome::UnknownMessage => ("unknown_message", None),
        };
        Self { outcome, email_id }
    }
}

/// Pass on a bounce: an RFC 3464 delivery status notification, as the mail server wrote it.
///
/// The email whose Message-ID the report returns is marked `bounced`, with the server's
/// reason, and its invitation shows it. A report about no email of ours, or about a delay,
/// is accepted and changes nothing (200), so that a mail server's pipe does not retry it.
#[utoipa::path(
    post,
    path = "/api/v1/bounces",
    request_body(content(
        // Documented as text (what a report is, and what clients can send); the server
        // reads the bytes whatever the content type, `message/rfc822` included.
        (String = "text/plain", example = "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\n..."),
    )),
    security(("bounce" = [])),
    responses(
        (status = 200, description = "The report was read; `outcome` says what it changed.", body = BounceAnswer),
        (status = 400, description = "The body is not an email message."),
        (status = 401, description = "The bearer token is missing or is not `CONVENE_BOUNCE_TOKEN`."),
        (status = 404, description = "`CONVENE_BOUNCE_TOKEN` is not set: bounces are not accepted here."),
        (status = 413, description = "The body is over 1 MiB."),
        (status = 422, description = "A message, but not a delivery status notification (`errors.body` says why)."),
    )
)]
pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let Some(expected) = &state.settings.auth.bounce_token else {
        return Err(AppError::not_found(
            "bounce endpoint: CONVENE_BOUNCE_TOKEN is not set",
        ));
    };
    let given = crate::http::extract::bearer(&req).unwrap_or_default();
    // Comparing hashes takes the same time wherever the strings differ.
    if Sha256::digest(given) != Sha256::digest(expected) {
        return Err(AppError::Unauthenticated);
    }
    let body = body.map_err(|e| unreadable_body(e, BOUNCE_BODY_LIMIT))?;
    let report = dsn::parse(&body).map_err(|e| match e {
        DsnError::NotAMessage => AppError::BadRequest(e.to_string()),
        DsnError::NotAReport | DsnError::NoRecipient => AppError::invalid("body", e.to_string()),
    })?;
    let outcome = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| record_bounce(conn, &report))
    })
    .await?;
    Ok(HttpResponse::Ok().json(BounceAnswer::from(outcome)))
}
