//! Many invitations at once, from a JSON array or a CSV file: each row is read, checked
//! and created or refused on its own, and the answer lists every row's fate.

use std::time::Instant;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::models::audit::Actor;
use crate::db::models::event;
use crate::db::{self, write_transaction};
use crate::domain::invitation::{CommunityFields, InvitationFields, InvitationSpec};
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{check_json_depth, parse_value, unreadable_body, CurrentOrganizer};
use crate::http::openapi::EventPath;
use crate::http::refusal;
use crate::http::AppState;
use crate::workflows::bulk_invite::{self, invite_batch, RowRefusal};

/// Most rows one bulk request may carry.
pub const MAX_BULK_ROWS: usize = 5_000;
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
    fn refused(row: usize, errors: FieldErrors) -> Self {
        Self {
            row,
            status: "refused",
            id: None,
            email: None,
            full_name: None,
            errors: Some(errors),
        }
    }
}

/// A bulk row as read: its fields if they could be read at all, and the problems found
/// while reading them (reported with those of the fields' own rules).
struct BulkRow {
    fields: Option<InvitationFields>,
    errors: FieldErrors,
    /// The row's text as sent (CSV only).
    source: Option<String>,
}

impl BulkRow {
    fn unreadable(errors: FieldErrors) -> Self {
        Self {
            fields: None,
            errors,
            source: None,
        }
    }
}

/// The columns a bulk CSV's header row must name; `community_country`, `kind`, `message`,
/// `organization` and `expires_at` may be added.
const CSV_REQUIRED: [&str; 5] = [
    "email",
    "full_name",
    "title",
    "community_name",
    "community_state",
];

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

fn too_many_rows() -> AppError {
    AppError::PayloadTooLarge(format!(
        "a bulk request may carry at most {MAX_BULK_ROWS} invitations"
    ))
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

fn read_json_rows(body: &[u8]) -> Result<Vec<BulkRow>, AppError> {
    check_json_depth(body)?;
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let serde_json::Value::Array(items) = value else {
        return Err(AppError::invalid("body", "must be an array of invitations"));
    };
    if items.len() > MAX_BULK_ROWS {
        return Err(too_many_rows());
    }
    Ok(items
        .into_iter()
        .map(|item| match parse_value::<InvitationFields>(item) {
            Ok(f) => BulkRow {
                fields: Some(f),
                errors: FieldErrors::new(),
                source: None,
            },
            Err(AppError::Validation(e)) => BulkRow::unreadable(e),
            Err(other) => BulkRow::unreadable(FieldErrors::single("row", other.to_string())),
        })
        .collect())
}

/// The separators a bulk CSV may use: spreadsheets save with `;` where the decimal mark is a
/// comma, and copying cells gives tabs.
const SEPARATORS: [u8; 3] = [b',', b';', b'\t'];

fn csv_reader(body: &[u8], separator: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .delimiter(separator)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(body)
}

/// A header row's column names, as the rows are matched against them.
fn column_names(reader: &mut csv::Reader<&[u8]>) -> Result<Vec<String>, AppError> {
    Ok(reader
        .headers()
        .map_err(|e| AppError::invalid("header", format!("cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect())
}

/// The separator of the header row: the one under which it names the most required
/// columns (a comma when none does better, so that the error names what is missing).
fn detect_separator(body: &[u8]) -> Result<u8, AppError> {
    let mut best = (0, b',');
    for separator in SEPARATORS {
        let headers = column_names(&mut csv_reader(body, separator))?;
        let found = CSV_REQUIRED
            .iter()
            .filter(|c| headers.iter().any(|h| h == *c))
            .count();
        if found > best.0 {
            best = (found, separator);
        }
    }
    Ok(best.1)
}

/// The text of `body` from `start` to `end`, without the line break that ends it.
fn source_text(body: &[u8], start: u64, end: u64) -> String {
    let slice = body.get(start as usize..end as usize).unwrap_or_default();
    String::from_utf8_lossy(slice)
        .trim_start_matches('\u{feff}')
        .trim_matches(['\r', '\n'])
        .to_owned()
}

/// A CSV upload as read: the header row as sent, and the rows.
struct CsvUpload {
    header: String,
    rows: Vec<BulkRow>,
}

fn read_csv_rows(body: &[u8]) -> Result<CsvUpload, AppError> {
    let mut reader = csv_reader(body, detect_separator(body)?);
    let headers = column_names(&mut reader)?;
    let missing: Vec<&str> = CSV_REQUIRED
        .into_iter()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "header",
            format!(
                "the first row must name the columns (email,full_name,title,community_name,community_state,community_country,kind,message), separated by commas, semicolons or tabs; missing: {}",
                missing.join(", ")
            ),
        ));
    }
    let header = source_text(body, 0, reader.position().byte());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().byte();
        let read = reader.read_record(&mut record);
        // Each row's own text, so that the refused ones can be offered again as they were.
        let source = Some(source_text(body, start, reader.position().byte()));
        if matches!(read, Ok(false)) {
            break;
        }
        if rows.len() == MAX_BULK_ROWS {
            return Err(too_many_rows());
        }
        if let Err(e) = read {
            let errors = FieldErrors::single("row", format!("cannot be read: {e}"));
            rows.push(BulkRow {
                source,
                ..BulkRow::unreadable(errors)
            });
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|c| record.get(c))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let mut errors = FieldErrors::new();
        let expires_at = cell("expires_at").and_then(|raw| {
            chrono::DateTime::parse_from_rfc3339(&raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    errors.add(
                        "expires_at",
                        "must be an RFC 3339 time such as 2027-04-30T23:59:00Z",
                    )
                })
                .ok()
        });
        let fields = InvitationFields {
            email: cell("email"),
            full_name: cell("full_name"),
            title: cell("title"),
            community: Some(CommunityFields {
                name: cell("community_name"),
                state: cell("community_state"),
                country: cell("community_country"),
            }),
            kind: cell("kind"),
            message: cell("message"),
            organization: cell("organization"),
            expires_at,
        };
        rows.push(BulkRow {
            fields: Some(fields),
            errors,
            source,
        });
    }
    Ok(CsvUpload { header, rows })
}

/// CSV rows name their errors by column (`community_name`), JSON rows by path (`community.name`).
fn csv_names(errors: FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    for (field, messages) in errors.iter() {
        for m in messages {
            out.add(field.replace('.', "_"), m.clone());
        }
    }
    out
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
    let format = bulk_format(&req)?;
    // Each row is parsed or refused on its own; only an unreadable body fails as a whole.
    let (rows, csv_header) = match format {
        BulkFormat::Json => (read_json_rows(&body)?, None),
        BulkFormat::Csv => {
            let upload = read_csv_rows(&body)?;
            (upload.rows, Some(upload.header))
        }
    };
    if rows.is_empty() {
        return Err(AppError::invalid(
            "body",
            "must contain at least one invitation",
        ));
    }
    let now = Utc::now();
    let mut outcomes: Vec<Option<RowOutcome>> = Vec::with_capacity(rows.len());
    let mut valid: Vec<(usize, InvitationSpec)> = Vec::new();
    let mut labels = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let fields = row.fields.as_ref();
        labels.push((
            fields.and_then(|f| f.email.clone()),
            fields.and_then(|f| f.full_name.clone()),
            row.source,
        ));
        let mut errors = row.errors;
        let parsed = row.fields.map(|f| InvitationSpec::parse(f, now));
        match parsed {
            Some(Ok(spec)) if errors.is_empty() => {
                valid.push((i, spec));
                outcomes.push(None);
            }
            other => {
                if let Some(Err(e)) = other {
                    errors.merge_prefixed("", e);
                }
                outcomes.push(Some(RowOutcome::refused(
                    i + 1,
                    match format {
                        BulkFormat::Csv => csv_names(errors),
                        BulkFormat::Json => errors,
                    },
                )));
            }
        }
    }

    let slug = slug.into_inner();
    let base = state.settings.base_url.clone();
    let event = {
        let slug = slug.clone();
        db::run(&state.pool, move |conn| event::find_by_slug(conn, &slug)).await?
    };
    let actor = Actor::organizer(&organizer.id);
    let mut queued_any = false;
    let mut batches = valid.into_iter().peekable();
    while batches.peek().is_some() {
        let batch: Vec<(usize, InvitationSpec)> =
            batches.by_ref().take(bulk_invite::BATCH).collect();
        let (event, actor, base) = (event.clone(), actor.clone(), base.clone());
        let results = db::run(&state.pool, move |conn| {
            write_transaction(conn, |conn| {
                invite_batch(conn, &base, &event, &batch, &actor)
            })
        })
        .await?;
        for r in results {
            match r {
                Ok((i, id)) => {
                    queued_any = true;
                    outcomes[i] = Some(RowOutcome {
                        row: i + 1,
                        status: "created",
                        id: Some(id),
                        email: None,
                        full_name: None,
                        errors: None,
                    });
                }
                Err((i, RowRefusal::Fields(e))) => {
                    outcomes[i] = Some(RowOutcome::refused(i + 1, e))
                }
                Err((i, RowRefusal::Refused(r))) => {
                    let e = FieldErrors::single("email", refusal::detail(&r));
                    outcomes[i] = Some(RowOutcome::refused(i + 1, e));
                }
            }
        }
    }
    if queued_any {
        state.outbox.notify();
    }
    let mut rows: Vec<RowOutcome> = outcomes.into_iter().flatten().collect();
    let mut refused_rows = Vec::new();
    for (outcome, (email, full_name, source)) in rows.iter_mut().zip(labels) {
        outcome.email = email;
        outcome.full_name = full_name;
        if outcome.status != "created" {
            refused_rows.extend(source);
        }
    }
    let created = rows.iter().filter(|r| r.status == "created").count();
    let refused = rows.len() - created;
    let refused_csv = csv_header.filter(|_| refused > 0).map(|header| {
        std::iter::once(header)
            .chain(refused_rows)
            .collect::<Vec<_>>()
            .join("\n")
    });
    tracing::info!(
        event_id = %event.id,
        created,
        refused,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "bulk invitations"
    );
    Ok(HttpResponse::Ok().json(BulkAnswer {
        created,
        refused,
        rows,
        refused_csv,
    }))
}
