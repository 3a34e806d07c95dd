//! Many invitations at once, from a JSON array or a CSV file: each row is read, checked
//! and created or refused on its own, and the answer lists every row's fate.

use std::time::Instant;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::db::models::audit::Actor;
use crate::domain::invitation::InvitationFields;
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{check_json_depth, parse_value, unreadable_body, CurrentOrganizer};
use crate::http::openapi::EventPath;
use crate::http::refusal;
use crate::http::AppState;
use crate::workflows::bulk_invite::{
    self, csv_rows, too_many_rows, BulkRow, Fate, Report, RowRefusal, RowReport, Upload,
};

/// Largest bulk body: 5,000 rows of a few hundred bytes each.
pub const BULK_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// One row's outcome in a bulk answer.
#[derive(Serialize, ToSchema)]
pub struct RowOutcome {
    /// 1 for the first invitation (the CSV header is not a row).
    #[schema(example = 1)]
    row: usize,
    /// `created` or `refused`.
    #[schema(example = "created")]
    status: &'static str,
    /// The invitation's id, when created.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    /// The row's address as read, to tell the rows apart in a report.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "ada@example.org")]
    email: Option<String>,
    /// The row's name as read.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Ada Lovelace")]
    full_name: Option<String>,
    /// Why the row was refused: messages per field (JSON path, or CSV column).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::BTreeMap<String, Vec<String>>>)]
    errors: Option<FieldErrors>,
}

/// The answer to a bulk upload: every row, created or refused.
#[derive(Serialize, ToSchema)]
pub struct BulkAnswer {
    created: usize,
    refused: usize,
    rows: Vec<RowOutcome>,
    /// CSV only, when rows were refused: the header row and every refused row, as they
    /// were sent, to be corrected and sent again (the created rows are left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        example = "email;full_name;title;community_name;community_state\nnot-an-address;Sam Brooks;City Manager;Lakeside;MI"
    )]
    refused_csv: Option<String>,
}

impl RowOutcome {
    fn of(r: RowReport) -> Self {
        let (status, id, errors) = match r.fate {
            Fate::Created(id) => ("created", Some(id.into()), None),
            Fate::Refused(RowRefusal::Fields(errors)) => ("refused", None, Some(errors)),
            Fate::Refused(RowRefusal::Refused(r)) => (
                "refused",
                None,
                Some(FieldErrors::single("email", refusal::detail(&r))),
            ),
        };
        Self {
            row: r.row,
            status,
            id,
            email: r.email,
            full_name: r.full_name,
            errors,
        }
    }
}

impl BulkAnswer {
    fn of(report: Report) -> Self {
        Self {
            created: report.created,
            refused: report.refused,
            rows: report.rows.into_iter().map(RowOutcome::of).collect(),
            refused_csv: report.refused_csv,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BulkFormat {
    Json,
    Csv,
}

fn bulk_format(req: &HttpRequest) -> Result<BulkFormat, AppError> {
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => Ok(BulkFormat::Json),
        "text/csv" | "application/csv" => Ok(BulkFormat::Csv),
        _ => Err(AppError::UnsupportedMediaType(
            "send a JSON array (application/json) or CSV with a header row (text/csv)".into(),
        )),
    }
}

/// The JSON body of a bulk upload as the document gives it: an array of at least one row.
/// Each row is read as `InvitationFields` on its own, and one that does not fit is refused
/// in the 200 answer with its errors, not the whole upload: so the document cannot say more
/// of a row than that it is one.
struct BulkRows;

impl utoipa::PartialSchema for BulkRows {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType};
        ArrayBuilder::new()
            .items(
                ObjectBuilder::new()
                    .schema_type(SchemaType::AnyValue)
                    .description(Some(
                    "An invitation, as `InvitationFields`; a row that does not fit is refused in \
                 the answer.",
                )),
            )
            .min_items(Some(1))
            .into()
    }
}

impl utoipa::ToSchema for BulkRows {}

fn read_json_rows(body: &[u8]) -> Result<Upload, AppError> {
    check_json_depth(body)?;
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let serde_json::Value::Array(items) = value else {
        return Err(AppError::invalid("body", "must be an array of invitations"));
    };
    if items.len() > bulk_invite::MAX_ROWS {
        return Err(too_many_rows());
    }
    let rows = items
        .into_iter()
        .map(|item| match parse_value::<InvitationFields>(item) {
            Ok(f) => BulkRow::read(f),
            Err(AppError::Validation(e)) => BulkRow::unreadable(e),
            Err(other) => BulkRow::unreadable(FieldErrors::single("row", other.to_string())),
        })
        .collect();
    Ok(Upload {
        rows,
        csv_header: None,
    })
}

/// Invite many: a JSON array of invitations, or CSV with a header row.
///
/// Each row is created or refused on its own; the answer reports every row, and for CSV
/// gives the refused rows back under the header (`refused_csv`), to be corrected and sent
/// again. CSV columns: `email`, `full_name`, `title`, `community_name`, `community_state`,
/// and optionally `community_country`, `kind`, `message`, `organization`, `expires_at`,
/// separated by commas, semicolons or tabs (whichever the header row uses). At most 5,000
/// rows and 4 MiB.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitations/bulk",
    params(EventPath),
    request_body(content(
        (BulkRows = "application/json"),
        (String = "text/csv", example = "email,full_name,title,community_name,community_state\nada@example.org,Ada Lovelace,Mayor,Springfield,IL\n"),
    )),
    security(("session" = [])),
    responses(
        (status = 200, description = "Every row's outcome.", body = BulkAnswer),
        (status = 404, description = "No such event."),
        (status = 413, description = "More than 5,000 rows, or a body over 4 MiB."),
        (status = 415, description = "Neither `application/json` nor `text/csv`."),
        (status = 422, description = "Not an array, no rows, or a CSV header without a required column."),
    )
)]
pub async fn bulk(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let started = Instant::now();
    let body = body.map_err(|e| unreadable_body(e, BULK_BODY_LIMIT))?;
    // Each row is parsed or refused on its own; only an unreadable body fails as a whole.
    let upload = match bulk_format(&req)? {
        BulkFormat::Json => read_json_rows(&body)?,
        BulkFormat::Csv => csv_rows::read(&body)?,
    };
    let (slug, base) = (slug.into_inner(), state.settings.server.base_url.clone());
    let actor = Actor::organizer(&organizer.id);
    let report = db::run(&state.pool, move |conn| {
        bulk_invite::invite_all(conn, &base, &slug, &actor, upload)
    })
    .await?;
    if report.created > 0 {
        state.outbox.notify();
    }
    tracing::info!(
        event_id = %report.event_id,
        created = report.created,
        refused = report.refused,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "bulk invitations"
    );
    Ok(HttpResponse::Ok().json(BulkAnswer::of(report)))
}
